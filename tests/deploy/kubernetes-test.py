#!/usr/bin/env python3
"""The Kubernetes examples (ctest deploy_kubernetes): every object parses, is of a known
kind and is valid against the Kubernetes API's schema (npm kubernetes-models, installed once
into the cache, validating offline; tests/deploy/kubernetes-schema.mjs); every pod meets the "restricted" Pod Security Standard field by field (as the
PodSecurity admission controller checks it, baseline included); the image is the one this
build makes; every Secret reference resolves; serve is probed on /healthz and has resources;
and each container's command runs as written against the stand-in Fastly API, the mounts
mapped to temporary directories: the scan's shell script with JOB_COMPLETION_INDEX set, and
serve answering its probes' path.

    tests/deploy/kubernetes-test.py BUILD
"""
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(SRC, "build"))
KDIR = os.path.join(SRC, "examples", "kubernetes")
KINDS = {("v1", "Secret"), ("v1", "Service"), ("apps/v1", "Deployment"), ("batch/v1", "CronJob")}
failures = []


def fail(where, msg):
    failures.append(f"{where}: {msg}")


def project_version():
    with open(os.path.join(SRC, "CMakeLists.txt")) as f:
        return re.search(r"project\(fixorigin VERSION ([0-9.]+)", f.read()).group(1)


def pod_spec(obj):
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    if obj["kind"] == "Deployment":
        return obj["spec"]["template"]["spec"]
    return None


# Pod Security Standards, "restricted" (which includes "baseline"), as Kubernetes documents them.
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                      "persistentVolumeClaim", "projected", "secret"}
BASELINE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                    "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                    "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                    "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}


def check_restricted(where, spec):
    psc = spec.get("securityContext") or {}
    containers = (spec.get("initContainers") or []) + spec["containers"] + \
        (spec.get("ephemeralContainers") or [])
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            fail(where, f"{field} is not allowed")
    for v in spec.get("volumes") or []:
        kinds = set(v) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            fail(where, f"volume {v['name']} of type {kinds - RESTRICTED_VOLUMES}")
    for s in psc.get("sysctls") or []:
        if s["name"] not in BASELINE_SYSCTLS:
            fail(where, f"sysctl {s['name']}")
    if psc.get("runAsUser") == 0:
        fail(where, "runAsUser 0")
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    if pod_seccomp not in (None, "RuntimeDefault", "Localhost"):
        fail(where, f"pod seccompProfile {pod_seccomp}")
    for opts in [psc.get("seLinuxOptions")]:
        if opts and (opts.get("user") or opts.get("role")):
            fail(where, "seLinuxOptions user/role")
    if "appArmorProfile" in psc and psc["appArmorProfile"].get("type") == "Unconfined":
        fail(where, "AppArmor unconfined")
    for c in containers:
        cw = f"{where} container {c['name']}"
        sc = c.get("securityContext") or {}
        if sc.get("privileged"):
            fail(cw, "privileged")
        if sc.get("allowPrivilegeEscalation") is not False:
            fail(cw, "allowPrivilegeEscalation must be false")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            fail(cw, "capabilities must drop ALL")
        if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
            fail(cw, f"capabilities added: {caps['add']}")
        non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
        if non_root is not True:
            fail(cw, "runAsNonRoot must be true (pod or container)")
        if sc.get("runAsUser") == 0:
            fail(cw, "runAsUser 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type", pod_seccomp)
        if seccomp not in ("RuntimeDefault", "Localhost"):
            fail(cw, f"seccompProfile must be RuntimeDefault or Localhost, not {seccomp}")
        if sc.get("procMount", "Default") != "Default":
            fail(cw, "procMount")
        for p in c.get("ports") or []:
            if p.get("hostPort"):
                fail(cw, "hostPort")
        if (sc.get("windowsOptions") or {}).get("hostProcess"):
            fail(cw, "hostProcess")
        # Not required by the level, but by these examples: a read-only root and a
        # non-root user the image's files allow.
        if sc.get("readOnlyRootFilesystem") is not True:
            fail(cw, "readOnlyRootFilesystem should be true")
        if psc.get("runAsUser", sc.get("runAsUser")) != 65532:
            fail(cw, "should run as the image's uid 65532")


def load_all():
    objs = []
    for name in sorted(os.listdir(KDIR)):
        if not name.endswith(".yaml"):
            fail(name, "not a YAML manifest")
            continue
        with open(os.path.join(KDIR, name)) as f:
            for doc in yaml.safe_load_all(f):
                if doc is None:
                    continue
                if (doc.get("apiVersion"), doc.get("kind")) not in KINDS:
                    fail(name, f"unexpected {doc.get('apiVersion')} {doc.get('kind')}")
                objs.append((name, doc))
    return objs


MODELS = "kubernetes-models@5.1.0"  # pinned, so a new release cannot change the verdict


def validate_schemas(objs):
    cache = os.environ.get("FO_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "fixorigin")
    d = os.path.join(cache, MODELS.replace("@", "-"))
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, ".kubernetes-models.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel runs share the cache
        if not os.path.exists(os.path.join(d, "node_modules", "kubernetes-models")):
            r = subprocess.run(["npm", "install", "--prefix", d, "--no-audit", "--no-fund",
                                "--silent", MODELS], capture_output=True, text=True)
            if r.returncode != 0:
                fail("npm", f"could not install {MODELS}: {r.stderr[-300:]}")
                return
    r = subprocess.run(["node", os.path.join(SRC, "tests", "deploy", "kubernetes-schema.mjs"), d],
                       input=json.dumps([o for _, o in objs]), capture_output=True, text=True)
    print(r.stdout, end="")
    if r.returncode != 0:
        fail("schema", r.stderr.strip() or "objects invalid against the Kubernetes API schema")


def wait_for(predicate, what, proc, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{what}: exited {proc.returncode}")
        time.sleep(0.1)
    raise RuntimeError(f"{what}: timed out")


def mounts_map(spec, container, work):
    """mountPath -> a temporary directory holding what the volume would."""
    volumes = {v["name"]: v for v in spec.get("volumes") or []}
    paths = {}
    for m in container.get("volumeMounts") or []:
        d = tempfile.mkdtemp(dir=work)
        if "emptyDir" in volumes[m["name"]]:
            os.chmod(d, 0o777)  # as the kubelet makes an emptyDir
        secret = volumes[m["name"]].get("secret")
        if secret:
            for item in secret.get("items") or []:
                with open(os.path.join(d, item["path"]), "w") as f:
                    f.write("k8s-example-test-token\n")
        paths[m["mountPath"]] = d
    return paths


def remap(text, paths):
    for mount, d in sorted(paths.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(mount, d)
    return text


def run_containers(objs, work, secrets):
    state = os.path.join(work, "mock-state.json")
    with open(state, "w") as f:
        subprocess.run([os.path.join(BUILD, "bin", "fastly-mock"), "--example-state"],
                       stdout=f, check=True)
    port_file = os.path.join(work, "mock.port")
    mock = subprocess.Popen([os.path.join(BUILD, "bin", "fastly-mock"), "--listen",
                             "127.0.0.1:0", "--state", state, "--port-file", port_file],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: os.path.exists(port_file) and os.path.getsize(port_file) > 0,
                 "fastly-mock", mock)
        with open(port_file) as f:
            endpoint = f"http://127.0.0.1:{f.read().strip()}"
        base_env = {"PATH": os.path.join(BUILD, "bin") + ":/usr/bin:/bin",
                    "FASTLY_API_ENDPOINT": endpoint}
        for name, obj in objs:
            spec = pod_spec(obj)
            if spec is None:
                continue
            for c in spec["containers"]:
                where = f"{name} {obj['kind']} container {c['name']}"
                paths = mounts_map(spec, c, work)
                env = dict(base_env)
                for e in c.get("env") or []:
                    if "value" in e:
                        env[e["name"]] = e["value"]
                    else:
                        ref = e["valueFrom"]["secretKeyRef"]
                        env[e["name"]] = secrets.get((ref["name"], ref["key"]), "")
                if obj["kind"] == "CronJob":
                    run_scan(where, c, env, paths)
                else:
                    run_serve(where, c, env, paths, work)
    finally:
        mock.terminate()
        mock.wait()


def run_scan(where, c, env, paths):
    env["JOB_COMPLETION_INDEX"] = "0"  # what an Indexed Job sets
    argv = [remap(a, paths) for a in c["command"] + c.get("args", [])]
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    lines = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    summary = lines[-1].get("summary") if lines else None
    if r.returncode != 0 or not summary or summary.get("shard") != "1/4":
        fail(where, f"the scan exited {r.returncode}, summary {summary}: {r.stderr[-500:]}")
    else:
        print(f"ok: {where} runs: exit {r.returncode}, shard {summary.get('shard')}, "
              f"{summary.get('services')} services")


def run_serve(where, c, env, paths, work):
    # The image's entrypoint is fixorigin; the kubelet's probes reach the container port.
    argv = ["fixorigin"] + [remap(a, paths) for a in c["args"]]
    port = next(p["containerPort"] for p in c["ports"] if p["name"] == "http")
    listen = argv.index("--listen") + 1
    if argv[listen] != f"0.0.0.0:{port}":
        fail(where, f"listens on {argv[listen]}, its port is {port}")
    argv[listen] = "127.0.0.1:0"  # the port may be taken on a test machine
    env["FIXORIGIN_SERVE_TOKEN"] = "k" * 32  # as shipped the Secret is empty (refused)
    out = os.path.join(work, "serve.out")
    with open(out, "w") as o:
        proc = subprocess.Popen(argv, env=env, stdout=o, stderr=subprocess.STDOUT)
    try:
        def listening():
            with open(out) as f:
                return "listening on" in f.read()
        wait_for(listening, where, proc)
        with open(out) as f:
            url = re.search(r"listening on (\S+)", f.read()).group(1)
        for probe in ("livenessProbe", "readinessProbe"):
            path = c[probe]["httpGet"]["path"]
            with urllib.request.urlopen(url + path, timeout=10) as r:
                if r.status != 200:
                    fail(where, f"{probe} {path}: {r.status}")
        proc.send_signal(signal.SIGTERM)
        if proc.wait(timeout=60) != 0:
            fail(where, f"serve exited {proc.returncode} on SIGTERM")
        print(f"ok: {where} runs: serves its probes' path, stops on SIGTERM")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main():
    objs = load_all()
    validate_schemas(objs)
    image = f"registry.example.com/fixorigin:{project_version()}"
    secrets = {}
    for name, obj in objs:
        if obj["kind"] == "Secret":
            for k, v in (obj.get("stringData") or {}).items():
                secrets[(obj["metadata"]["name"], k)] = v
                if v:
                    fail(name, f"the example Secret holds a value for {k}")
    with subprocess.Popen([os.path.join(BUILD, "bin", "fixorigin"), "serve", "--help"],
                          stdout=subprocess.PIPE, text=True) as p:
        serve_help = p.stdout.read()
    kinds = set()
    for name, obj in objs:
        kinds.add(obj["kind"])
        spec = pod_spec(obj)
        if spec is None:
            continue
        where = f"{name} {obj['kind']}"
        check_restricted(where, spec)
        if spec.get("automountServiceAccountToken") is not False:
            fail(where, "mounts a service account token it does not use")
        for c in spec["containers"]:
            if c["image"] != image:
                fail(where, f"image {c['image']}, not {image} (the Containerfile's build)")
            if not (c.get("resources") or {}).get("requests") or \
                    not (c["resources"].get("limits") or {}).get("memory"):
                fail(where, "resources: requests and a memory limit")
            for e in c.get("env") or []:
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref and (ref["name"], ref["key"]) not in secrets:
                    fail(where, f"secret {ref['name']}/{ref['key']} is in no example Secret")
                if obj["kind"] == "Deployment" and e["name"] not in serve_help:
                    fail(where, f"serve reads no {e['name']}")
        for v in spec.get("volumes") or []:
            s = v.get("secret")
            for item in (s or {}).get("items") or []:
                if (s["secretName"], item["key"]) not in secrets:
                    fail(where, f"secret {s['secretName']}/{item['key']} is in no example Secret")
        if obj["kind"] == "Deployment":
            c = spec["containers"][0]
            for probe in ("livenessProbe", "readinessProbe"):
                if (c.get(probe) or {}).get("httpGet", {}).get("path") != "/healthz":
                    fail(where, f"{probe} must GET /healthz")
            svc = [o for _, o in objs if o["kind"] == "Service"]
            if not svc or svc[0]["spec"]["selector"] != obj["spec"]["selector"]["matchLabels"]:
                fail(where, "no Service selects the Deployment's pods")
            elif svc[0]["spec"]["ports"][0]["targetPort"] not in [p["name"] for p in c["ports"]]:
                fail(where, "the Service's targetPort is not a container port")
    if kinds != {"CronJob", "Deployment", "Service", "Secret"}:
        fail("examples/kubernetes", f"kinds {sorted(kinds)}")
    if not failures:
        print(f"ok: {len(objs)} objects; every pod meets the restricted Pod Security level")
        work = tempfile.mkdtemp(prefix="fixorigin-k8s-test.")
        try:
            run_containers(objs, work, secrets)
        except (RuntimeError, subprocess.SubprocessError) as e:
            fail("run", str(e))
            out = os.path.join(work, "serve.out")
            if os.path.exists(out):
                with open(out) as f:
                    print(f.read(), file=sys.stderr)
        finally:
            shutil.rmtree(work)
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
