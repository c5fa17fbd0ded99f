"""Loads an Airflow DAG file as Airflow does and prints each task's bash_command, as one JSON object."""
import json
import runpy
import sys

namespace = runpy.run_path(sys.argv[1])
dag = namespace["dag"]
print(json.dumps({task.task_id: task.bash_command for task in dag.tasks}))
