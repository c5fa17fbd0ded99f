/*
 * One Kafka hop on plain librdkafka, the peer of `stockpipe run --log kafka`: produces the records
 * of a file, then consumes them back with a consumer group, configured as stockpipe's producer and
 * consumers are (idempotent, acks=all, lz4, linger 5 ms, keyed by symbol with murmur2;
 * cooperative-sticky group, manual commit). Prints the seconds each half took.
 *
 * Usage: kafka_hop BROKERS TOPIC GROUP FILE
 *   FILE holds one record a line: KEY<TAB>SOURCE<TAB>VALUE (the value is the rest of the line).
 * Built by scripts/bench-kafka.sh: cc -O2 kafka_hop.c $(pkg-config --cflags --libs rdkafka)
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *value) {
    char error[256];
    if (rd_kafka_conf_set(conf, name, value, error, sizeof error) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "kafka_hop: %s=%s: %s\n", name, value, error);
        exit(2);
    }
}

static long failed = 0;
static void delivered(rd_kafka_t *rk, const rd_kafka_message_t *message, void *opaque) {
    (void)rk;
    (void)opaque;
    if (message->err) failed++;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: kafka_hop BROKERS TOPIC GROUP FILE\n");
        return 2;
    }
    const char *brokers = argv[1], *topic = argv[2], *group = argv[3];
    FILE *file = fopen(argv[4], "r");
    if (!file) {
        perror(argv[4]);
        return 2;
    }
    char error[512];

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", brokers);
    set(conf, "enable.idempotence", "true");
    set(conf, "acks", "all");
    set(conf, "compression.type", "lz4");
    set(conf, "linger.ms", "5");
    set(conf, "batch.num.messages", "10000");
    set(conf, "queue.buffering.max.messages", "1000000");
    set(conf, "queue.buffering.max.kbytes", "1048576");
    set(conf, "partitioner", "murmur2_random");
    rd_kafka_conf_set_dr_msg_cb(conf, delivered);
    rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (!producer) {
        fprintf(stderr, "kafka_hop: %s\n", error);
        return 1;
    }

    /* Records are read into memory first, so that reading the file is not timed. */
    size_t capacity = 1 << 20, count = 0;
    char **lines = malloc(capacity * sizeof *lines);
    char *line = NULL;
    size_t size = 0;
    ssize_t length;
    while ((length = getline(&line, &size, file)) > 0) {
        if (line[length - 1] == '\n') line[length - 1] = 0;
        if (count == capacity) lines = realloc(lines, (capacity *= 2) * sizeof *lines);
        lines[count++] = strdup(line);
    }
    fclose(file);

    /* The topic's partitions are asked for before the clock starts: otherwise librdkafka asks at
     * its next one-second tick, and the first records wait for it (about 1 s of 1.1). */
    rd_kafka_topic_t *handle = rd_kafka_topic_new(producer, topic, NULL);
    const struct rd_kafka_metadata *metadata;
    if (rd_kafka_metadata(producer, 0, handle, &metadata, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "kafka_hop: no metadata for %s\n", topic);
        return 1;
    }
    rd_kafka_metadata_destroy(metadata);
    rd_kafka_topic_destroy(handle);

    double start = now();
    for (size_t index = 0; index < count; index++) {
        char *key = lines[index];
        char *source = strchr(key, '\t');
        char *value = source ? strchr(source + 1, '\t') : NULL;
        if (!value) continue;
        *source++ = 0;
        *value++ = 0;
        rd_kafka_resp_err_t err;
        while ((err = rd_kafka_producev(
                    producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
                    RD_KAFKA_V_VALUE(value, strlen(value)), RD_KAFKA_V_HEADER("kind", "trade", 5),
                    RD_KAFKA_V_HEADER("source", source, strlen(source)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(producer, 1);
        if (err) {
            fprintf(stderr, "kafka_hop: produce: %s\n", rd_kafka_err2str(err));
            return 1;
        }
        rd_kafka_poll(producer, 0);
    }
    rd_kafka_flush(producer, 60000);
    double produced = now() - start;
    rd_kafka_destroy(producer);
    if (failed) {
        fprintf(stderr, "kafka_hop: %ld records not delivered\n", failed);
        return 1;
    }

    conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", brokers);
    set(conf, "group.id", group);
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.auto.offset.store", "false");
    set(conf, "partition.assignment.strategy", "cooperative-sticky");
    set(conf, "session.timeout.ms", "6000");
    rd_kafka_t *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    rd_kafka_poll_set_consumer(consumer);
    rd_kafka_topic_partition_list_t *subscription = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(subscription, topic, RD_KAFKA_PARTITION_UA);
    start = now();
    rd_kafka_subscribe(consumer, subscription);
    size_t consumed = 0;
    double first = 0;
    while (consumed < count && now() - start < 120) {
        rd_kafka_message_t *message = rd_kafka_consumer_poll(consumer, 100);
        if (!message) continue;
        if (!message->err) {
            if (!consumed) first = now();
            consumed++;
        }
        rd_kafka_message_destroy(message);
    }
    rd_kafka_commit(consumer, NULL, 0);
    double end = now();
    printf("records %zu produce_s %.3f consume_s %.3f join_s %.3f\n", consumed, produced, end - start, first - start);
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    return consumed == count ? 0 : 1;
}
