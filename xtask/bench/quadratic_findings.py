"""One annotator's submission of N identical boxes to a project with no_overlap and
no_duplicates rules (issue 12's quadratic-findings attack): answer time, answer size and the
server's peak memory. Usage: python3 xtask/bench/quadratic_findings.py target/release/annoqa . N"""
import json, os, re, subprocess, sys, tempfile, threading, time, http.client, uuid

binary, repo, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
tmp = tempfile.mkdtemp()
env = dict(os.environ, ANNOQA_LOG="warn")
proc = subprocess.Popen([binary, "serve", "--addr", "127.0.0.1:0", "--database", f"{tmp}/db.sqlite3",
                         "--dist", f"{tmp}/dist", "--static", f"{repo}/static", "--media-dir", f"{tmp}/media"],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
password = None
def drain():
    global password
    for line in proc.stderr:
        m = re.search(r"one-time password: (\S+)", line)
        if m: password = m.group(1)
threading.Thread(target=drain, daemon=True).start()
url = proc.stdout.readline().split("http://")[1].split("/")[0]
host, port = url.split(":")
while password is None: time.sleep(0.05)
def status(field):
    for line in open(f"/proc/{proc.pid}/status"):
        if line.startswith(field): return int(line.split()[1]) * 1024
def req(method, path, body=None, headers={}):
    c = http.client.HTTPConnection(host, int(port), timeout=3600)
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse(); data = r.read(); c.close(); return r.status, r.getheaders(), data
def login(user, pw):
    st, hs, data = req("POST", "/api/session", json.dumps({"username": user, "password": pw}), {"content-type": "application/json"})
    assert st == 200, (st, data)
    return {"cookie": [v for k, v in hs if k.lower() == "set-cookie"][0].split(";")[0], "x-requested-with": "annoqa",
            "content-type": "application/json"}
admin = login("admin", password)
spec = {"media": "image", "controls": [{"name": "boxes", "type": "b_box", "labels": [{"value": "car"}]}],
        "rules": [{"rule": "no_overlap", "control": "boxes"}, {"rule": "no_duplicates", "control": "boxes"}]}
st, _, data = req("POST", "/api/projects", json.dumps({"id": "cars", "title": "Cars", "spec": spec}), admin)
assert st == 201, (st, data)
item = {"id": "street", "media": {"type": "image", "src": "street.png", "width": 100, "height": 100}}
st, _, data = req("POST", "/api/projects/cars/items", json.dumps([item]), admin)
assert st in (200, 201), (st, data)
ana_pw = "correct horse battery staple 17"
st, _, data = req("POST", "/api/users", json.dumps({"username": "ana", "role": "annotator", "password": ana_pw}), admin)
assert st in (200, 201), (st, data)
uid = json.loads(data)["user"]["id"]
st, _, data = req("PUT", f"/api/projects/cars/members/{uid}", json.dumps({"role": "annotator"}), admin)
assert st in (200, 204), (st, data)
ana = login("ana", ana_pw)
st, _, data = req("GET", "/api/projects/cars/next", None, ana)
assert st == 200, (st, data)
boxes = [{"id": f"b{i}", "control": "boxes", "type": "b_box", "x": 10, "y": 10, "width": 20, "height": 20, "label": "car"}
         for i in range(n)]
body = json.dumps({"lead_time_ms": 1000, "regions": boxes}).encode()
before = status("VmRSS:")
t = time.time()
st, _, data = req("POST", "/api/projects/cars/items/street/submissions", body, dict(ana, **{"idempotency-key": str(uuid.uuid4())}))
elapsed = time.time() - t
peak = status("VmHWM:")
alive = proc.poll() is None
print(f"{n} identical boxes: body {len(body)/1e3:.0f} kB, answer {st} {len(data)/1e3:.0f} kB in {elapsed:.2f} s, "
      f"RSS before {before/2**20:.0f} MiB, peak {peak/2**20:.0f} MiB, alive {alive}")
proc.kill()
