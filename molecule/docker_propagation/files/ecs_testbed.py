"""An ECS container instance for the restart checks: a cluster and a container instance registered in the
scenario's moto server, and the ECS agent's introspection endpoint served on 127.0.0.1.

    ecs_testbed.py start --state-dir DIR --endpoint URL      prints JSON: introspection_url, cluster, arn
    ecs_testbed.py task --state-dir DIR (start|stop)         starts or stops one task on the instance
    ecs_testbed.py status --state-dir DIR                    prints JSON: status, running tasks
    ecs_testbed.py stop --state-dir DIR                      stops the endpoint
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys

import boto3

REGION = "us-east-1"


def client(state, service):
    return boto3.client(service, endpoint_url=state["endpoint"], region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load(state_dir):
    with open(os.path.join(state_dir, "state.json")) as handle:
        return json.load(handle)


def save(state_dir, state):
    with open(os.path.join(state_dir, "state.json"), "w") as handle:
        json.dump(state, handle)


def start(args):
    state = {"endpoint": args.endpoint, "cluster": "mountkit-propagation"}
    os.makedirs(os.path.join(args.state_dir, "www", "v1"), exist_ok=True)
    ecs, ec2 = client(state, "ecs"), client(state, "ec2")
    ecs.create_cluster(clusterName=state["cluster"])
    instance = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)["Instances"][0]
    document = json.dumps({"instanceId": instance["InstanceId"], "region": REGION})
    state["arn"] = ecs.register_container_instance(
        cluster=state["cluster"], instanceIdentityDocument=document)["containerInstance"]["containerInstanceArn"]
    ecs.register_task_definition(family="task", containerDefinitions=[{"name": "app", "image": "app", "memory": 64}])
    with open(os.path.join(args.state_dir, "www", "v1", "metadata"), "w") as handle:
        json.dump({"Cluster": state["cluster"], "ContainerInstanceArn": state["arn"],
                   "Version": "Amazon ECS Agent - v1.89.0"}, handle)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port),
                               "--directory", os.path.join(args.state_dir, "www")],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    state.update(pid=server.pid, introspection_url="http://127.0.0.1:%d/v1/metadata" % port, tasks=[])
    save(args.state_dir, state)
    print(json.dumps({key: state[key] for key in ("introspection_url", "cluster", "arn")}))


def task(args):
    state = load(args.state_dir)
    ecs = client(state, "ecs")
    if args.action == "start":
        state["tasks"].append(ecs.start_task(cluster=state["cluster"], taskDefinition="task",
                                             containerInstances=[state["arn"]])["tasks"][0]["taskArn"])
    else:
        for arn in state["tasks"]:
            ecs.stop_task(cluster=state["cluster"], task=arn)
        state["tasks"] = []
    save(args.state_dir, state)


def status(args):
    state = load(args.state_dir)
    ecs = client(state, "ecs")
    instance = ecs.describe_container_instances(cluster=state["cluster"],
                                                containerInstances=[state["arn"]])["containerInstances"][0]
    print(json.dumps({"status": instance["status"], "running": instance["runningTasksCount"]}))


def stop(args):
    try:
        state = load(args.state_dir)
        os.kill(state["pid"], signal.SIGTERM)
    except (OSError, ValueError, KeyError):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["start", "task", "status", "stop"])
    parser.add_argument("action", nargs="?", choices=["start", "stop"])
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--endpoint")
    args = parser.parse_args()
    os.makedirs(args.state_dir, exist_ok=True)
    {"start": start, "task": task, "status": status, "stop": stop}[args.command](args)


if __name__ == "__main__":
    main()
