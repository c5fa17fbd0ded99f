import Foundation
import Testing

/// The shipped DAG under real Apache Airflow (installed into .build/airflow by `scripts/test`), with
/// the built `stockpipe` on PATH over a replay file.
@Suite(.timeLimit(.minutes(10))) struct AirflowTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let airflow = packageRoot + "/.build/airflow/bin/airflow"

    @Test(TestTool.airflow.condition, .timeLimit(.minutes(10)))
    func theShippedDAGRunsTheBoundedCommandsAndARerunChangesNothing() async throws {
        _ = try TestTool.airflow.require()
        let directory = try TemporaryDirectory()
        let feed = directory.file("feed.ndjson")
        let simulated = try await runStockpipe(["simulate", "--out", feed, "--count", "6000", "--bad-fraction", "0.02", "--seed", "11"])
        #expect(simulated.status == 0, "\(simulated.stderr)")
        let binaries = URL(fileURLWithPath: stockpipeBinary).deletingLastPathComponent().path
        let environment = [
            "AIRFLOW_HOME": directory.file("airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": Self.packageRoot + "/airflow/dags",
            "PATH": binaries + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "STOCKPIPE_DATA_DIR": directory.file("data"), "STOCKPIPE_SOURCE": "replay", "STOCKPIPE_FILE": feed,
            "STOCKPIPE_SYMBOLS": "*",
        ]
        let migrated = try await runProgram(Self.airflow, ["db", "migrate"], environment: environment)
        #expect(migrated.status == 0, "\(migrated.stderr.suffix(2_000))")

        var statuses: [[String: Any]] = []
        for _ in 0..<2 {
            let run = try await runProgram(Self.airflow, ["dags", "test", "stockpipe"], environment: environment)
            let output = run.stdout + run.stderr
            #expect(run.status == 0, "\(output.suffix(4_000))")
            for task in ["ingest", "validate", "load", "quality_report"] {
                #expect(output.contains("[DAG TEST] end task task_id=\(task) "), "task \(task) did not end")
            }
            #expect(output.contains("DagRun Finished: dag_id=stockpipe") && output.contains("state=success"), "\(output.suffix(4_000))")
            #expect(!output.contains("state=failed"))
            let status = try await runStockpipe(["status", "--json", "--data-dir", directory.file("data")])
            let document = try #require(try parseJSON(status.stdout) as? [String: Any])
            statuses.append(document)
        }
        for document in statuses {
            let reconciliation = try #require(document["reconciliation"] as? [String: Any])
            #expect(reconciliation["balanced"] as? Bool == true)
            #expect(reconciliation["pending"] as? Int == 0)
            let stored = reconciliation["stored"] as? Int ?? -1
            let quarantined = reconciliation["quarantined"] as? Int ?? -1
            #expect(reconciliation["staged"] as? Int == stored + quarantined)
            #expect(quarantined > 0 && stored > 5_000)
            let quality = try #require(document["quality"] as? [String: Any], "the DAG's quality-report kept no report")
            #expect(quality["ok"] as? Bool == true)
        }
        // The second run found everything done: the same counts.
        #expect((statuses[0]["store"] as? NSDictionary) == (statuses[1]["store"] as? NSDictionary))
        #expect((statuses[0]["reconciliation"] as? NSDictionary) == (statuses[1]["reconciliation"] as? NSDictionary))
    }
}
