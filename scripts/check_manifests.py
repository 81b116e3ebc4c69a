#!/usr/bin/env python3
"""Checks the Helm chart's rendered manifests and the Dockerfiles against the real binaries.

  check_manifests.py <bin dir> <default.yaml> <full.yaml> <docker dir>

- the expected kinds exist (defaults, and with every optional feature on);
- every flag a manifest or Dockerfile passes to a binary is accepted by that binary (each is
  run with the rendered arguments and --help, which parses them all first);
- listen ports equal the declared containerPorts, probes and Services name ports that exist,
  data planes point at the control plane's gRPC Service and port;
- the security context is non-root, read-only, without privilege escalation;
- each Dockerfile starts a binary the build produces and EXPOSEs that binary's default ports,
  and its runtime stage installs the Debian package of every shared library the binary needs
  (or a package that depends on it, or one debian:12-slim has).
"""
import re
import subprocess
import sys

import yaml

BINARIES = {"control-plane": "switchyard-control-plane", "data-plane": "switchyard-data-plane"}
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def load(path):
    with open(path) as f:
        return [doc for doc in yaml.safe_load_all(f) if doc]


def by_kind(docs, kind):
    return [d for d in docs if d["kind"] == kind]


def accepts(bin_dir, binary, args):
    args = [a.replace("$(POD_NAME)", "pod-0") for a in args]
    run = subprocess.run([f"{bin_dir}/{binary}", *args, "--help"], capture_output=True, text=True)
    return run.returncode == 0, run.stderr.strip()


def check_render(bin_dir, docs, name, expect_kinds, forbid_kinds):
    kinds = [d["kind"] for d in docs]
    for kind, count in expect_kinds.items():
        check(kinds.count(kind) >= count, f"{name}: expected {count} {kind}, found {kinds.count(kind)}")
    for kind in forbid_kinds:
        check(kind not in kinds, f"{name}: unexpected {kind}")
    services = by_kind(docs, "Service")
    for deployment in by_kind(docs, "Deployment"):
        component = deployment["metadata"]["labels"]["app.kubernetes.io/component"]
        pod = deployment["spec"]["template"]["spec"]
        check(pod["securityContext"].get("runAsNonRoot") is True, f"{name}/{component}: runAsNonRoot")
        for container in pod["containers"]:
            if container["name"] not in BINARIES:
                continue  # a third-party image (the redis policy's Redis)
            binary = BINARIES[container["name"]]
            ok, error = accepts(bin_dir, binary, container["args"])
            check(ok, f"{name}/{component}: {binary} refuses {container['args']}: {error}")
            ports = {p["name"]: p["containerPort"] for p in container["ports"]}
            for arg in container["args"]:
                m = re.match(r"--(http|grpc|admin)-listen=0\.0\.0\.0:(\d+)$", arg)
                if m:
                    check(ports.get(m.group(1)) == int(m.group(2)),
                          f"{name}/{component}: {arg} but containerPort {m.group(1)}={ports.get(m.group(1))}")
                m = re.match(r"--control-plane=([^:]+):(\d+)$", arg)
                if m:
                    grpc = [s for s in services if s["metadata"]["name"] == m.group(1)]
                    check(len(grpc) == 1, f"{name}: no Service {m.group(1)} for data planes")
                    if grpc:
                        check(grpc[0]["spec"]["ports"][0]["port"] == int(m.group(2)),
                              f"{name}: --control-plane port differs from the gRPC Service port")
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                spec = container.get(probe)
                if not spec:
                    continue
                port = (spec.get("httpGet") or {}).get("port")
                if isinstance(port, str):
                    check(port in ports, f"{name}/{component}: {probe} uses unknown port {port}")
                grpc_port = (spec.get("grpc") or {}).get("port")
                if grpc_port is not None:
                    check(grpc_port in ports.values(), f"{name}/{component}: {probe} gRPC port {grpc_port}")
            check(container.get("livenessProbe") and container.get("readinessProbe"),
                  f"{name}/{component}: liveness and readiness probes")
            security = container["securityContext"]
            check(security.get("readOnlyRootFilesystem") is True, f"{name}/{component}: read-only root")
            check(security.get("allowPrivilegeEscalation") is False, f"{name}/{component}: no escalation")
        selector = deployment["spec"]["selector"]["matchLabels"]
        for service in services:
            if service["spec"]["selector"] != selector:
                continue
            names = {p["name"] for c in pod["containers"] for p in c["ports"]}
            for port in service["spec"]["ports"]:
                check(port["targetPort"] in names,
                      f"{name}: Service {service['metadata']['name']} targets unknown port {port['targetPort']}")


# Packages debian:12-slim has.
BASE_PACKAGES = {"libc6", "libstdc++6", "libgcc-s1", "zlib1g"}


def runtime_packages_cover(bin_dir, binary, text, component):
    """Every NEEDED library of the binary comes from a package the runtime stage installs."""
    runtime = text[text.rindex("FROM debian:12-slim"):]
    install = re.search(r"apt-get install[^\n]*\n((?:.*\\\n)*)", runtime)
    listed = set(re.findall(r"\b(lib[\w.+-]+|ca-certificates)\b", install.group(0) if install else ""))
    depends = set()
    for package in listed:
        run = subprocess.run(["apt-cache", "depends", "--no-recommends", "--no-suggests", package],
                             capture_output=True, text=True)
        depends.update(re.findall(r"Depends: (\S+)", run.stdout))
    needed = re.findall(r"Shared library: \[(.+?)\]",
                        subprocess.run(["readelf", "-d", f"{bin_dir}/{binary}"],
                                       capture_output=True, text=True).stdout)
    for library in needed:
        owner = subprocess.run(["dpkg", "-S", f"*/{library}"], capture_output=True, text=True).stdout
        packages = {line.split(":")[0] for line in owner.splitlines() if line and "i386" not in line}
        check(bool(packages & (listed | depends | BASE_PACKAGES)),
              f"{component}.Dockerfile: the runtime stage lacks {library} (package {sorted(packages)})")


def check_dockerfiles(bin_dir, docker_dir):
    for component, binary in BINARIES.items():
        text = open(f"{docker_dir}/{component}.Dockerfile").read()
        entry = re.search(r'ENTRYPOINT \["([^"]+)"\]', text)
        check(entry and entry.group(1).endswith("/" + binary), f"{component}.Dockerfile: entrypoint")
        check(f"build/bin/{binary}" in text, f"{component}.Dockerfile: copies build/bin/{binary}")
        exposed = {int(p) for p in re.search(r"EXPOSE ([\d ]+)", text).group(1).split()}
        usage = subprocess.run([f"{bin_dir}/{binary}", "--help"], capture_output=True, text=True).stdout
        defaults = {int(p) for p in re.findall(r"-listen=<value>.*\(default [\d.]+:(\d+)\)", usage)}
        check(exposed == defaults, f"{component}.Dockerfile: EXPOSE {exposed} but the binary listens on {defaults}")
        cmd = re.search(r"CMD \[(.*)\]", text)
        args = re.findall(r'"([^"]+)"', cmd.group(1)) if cmd else []
        ok, error = accepts(bin_dir, binary, args)
        check(ok, f"{component}.Dockerfile: {binary} refuses CMD {args}: {error}")
        check(re.search(r"^USER \d+", text, re.M), f"{component}.Dockerfile: non-root USER")
        check(text.count("FROM debian:12-slim") == 2, f"{component}.Dockerfile: multi-stage debian:12-slim")
        runtime_packages_cover(bin_dir, binary, text, component)


def main():
    bin_dir, default_path, full_path, docker_dir = sys.argv[1:5]
    check_render(bin_dir, load(default_path), "defaults",
                 {"Deployment": 2, "Service": 4, "PodDisruptionBudget": 2, "Secret": 1},
                 ["HorizontalPodAutoscaler", "StatefulSet", "ServiceMonitor", "NetworkPolicy",
                  "ConfigMap"])
    check_render(bin_dir, load(full_path), "all features",
                 {"Deployment": 2, "Service": 5, "PodDisruptionBudget": 2, "Secret": 3,
                  "HorizontalPodAutoscaler": 1, "StatefulSet": 1, "ServiceMonitor": 1,
                  "NetworkPolicy": 1, "ConfigMap": 1}, [])
    full = load(full_path)
    data_plane = [d for d in by_kind(full, "Deployment")
                  if d["metadata"]["labels"]["app.kubernetes.io/component"] == "data-plane"][0]
    check("replicas" not in data_plane["spec"], "with the HPA on, the Deployment leaves replicas to it")
    check(any(e.get("secretRef") for e in
              data_plane["spec"]["template"]["spec"]["containers"][0].get("envFrom", [])),
          "provider keys reach the data planes as environment variables")
    config = by_kind(full, "ConfigMap")[0]["data"]["config.json"]
    check('"providers"' in config and "env.OPENAI_API_KEY" in config, "bootstrap config.json rendered")
    check_dockerfiles(bin_dir, docker_dir)
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    if failures:
        sys.exit(1)
    print("manifests and Dockerfiles match the binaries")


if __name__ == "__main__":
    main()
