import CRdKafka
import StockpipeCore

extension KafkaProducer {
    /// Hands one record to librdkafka (`rd_kafka_produceva`, the importable form of the variadic
    /// `rd_kafka_producev`); nil on success, else the error, which the caller owns.
    func produce(
        _ record: OutgoingRecord, topic: KafkaHandle, opaque: UnsafeMutableRawPointer,
        scratch: inout [UInt8]
    ) -> OpaquePointer? {
        // Key and headers go into one scratch buffer: header names need terminating zeros.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: record.key.utf8)
        let keyLength = scratch.count
        var headerOffsets: [(name: Int, value: Int, length: Int)] = []
        headerOffsets.reserveCapacity(record.headers.count)
        func add(_ name: String, _ value: String) {
            let nameStart = scratch.count
            scratch.append(contentsOf: name.utf8)
            scratch.append(0)
            let valueStart = scratch.count
            scratch.append(contentsOf: value.utf8)
            headerOffsets.append((nameStart, valueStart, scratch.count - valueStart))
        }
        for header in record.headers { add(header.name, header.value) }
        // Where it was made from, for a stage restarted to recognise it (see PublishedScan).
        if let offset = record.inputOffset, record.inputPartition != nil { add(PublishedScan.stagingOffsetHeader, String(offset)) }
        return scratch.withUnsafeMutableBytes { scratch in
            record.value.withUnsafeBytes { value in
                withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 7 + headerOffsets.count) { fields in
                    let base = scratch.baseAddress!
                    var count = 0
                    func add(_ configure: (inout rd_kafka_vu_t) -> Void) {
                        var field = rd_kafka_vu_t()
                        configure(&field)
                        fields[count] = field
                        count += 1
                    }
                    add {
                        $0.vtype = RD_KAFKA_VTYPE_RKT; $0.u.rkt = topic.pointer
                    }
                    if let partition = record.inputPartition, keepsInputPartitions {
                        add {
                            $0.vtype = RD_KAFKA_VTYPE_PARTITION; $0.u.i32 = partition
                        }
                    }
                    if keyLength > 0 {
                        add {
                            $0.vtype = RD_KAFKA_VTYPE_KEY; $0.u.mem.ptr = base; $0.u.mem.size = keyLength
                        }
                    }
                    add {
                        $0.vtype = RD_KAFKA_VTYPE_VALUE
                        $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                        $0.u.mem.size = value.count
                    }
                    add {
                        $0.vtype = RD_KAFKA_VTYPE_MSGFLAGS; $0.u.i = RD_KAFKA_MSG_F_COPY
                    }
                    add {
                        $0.vtype = RD_KAFKA_VTYPE_TIMESTAMP; $0.u.i64 = record.timestamp
                    }
                    add {
                        $0.vtype = RD_KAFKA_VTYPE_OPAQUE; $0.u.ptr = opaque
                    }
                    for offsets in headerOffsets {
                        add {
                            $0.vtype = RD_KAFKA_VTYPE_HEADER
                            $0.u.header.name = UnsafePointer(base.advanced(by: offsets.name).assumingMemoryBound(to: CChar.self))
                            $0.u.header.val = UnsafeRawPointer(base.advanced(by: offsets.value))
                            $0.u.header.size = offsets.length
                        }
                    }
                    return rd_kafka_produceva(handle.pointer, fields.baseAddress, count)
                }
            }
        }
    }
}
