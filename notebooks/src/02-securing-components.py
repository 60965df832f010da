# %% [markdown]
# # 02 · Securing Kubernetes components
#
# ## Goal
# Know which ports a cluster's components listen on and who may talk to them; read the API server's
# flags the way the API server itself reads them; audit the API server and the kubelet against the
# **CIS Kubernetes Benchmark** (cis-1.12), on your cluster when it lets you and on bundled manifests
# when it does not; and see where the popular tool **kube-bench** reads a configuration differently.

# %%
import kslab

lab = kslab.connect()
lab

# %% [markdown]
# ## Background
#
# Every component of notebook 01 is a server. The **API server** (port 6443) is the front door: every
# request is *authenticated* (who are you? an x509 client certificate, a bearer token, or nobody:
# `system:anonymous`), *authorized* (may you? the Node authorizer and RBAC) and passed through
# *admission* (should this object exist as written? NodeRestriction, PodSecurity ...). The **kubelet**
# on each node has an API of its own (port 10250) that can run commands in any container on its node,
# so it must authenticate and authorize too. **etcd** holds every Secret and should only talk to the
# API server.
#
# How each of them behaves is decided by command-line flags and configuration files. The **CIS
# Kubernetes Benchmark** turns "secure settings" into numbered checks (1.2.x for the API server, 4.2.x
# for the kubelet); **kube-bench** (Aqua Security) runs those checks on a node. kslab keeps the checks
# as data (`kslab/data/cis/`), decides them with kube-bench's rules — a *scored* check that fails is
# FAIL, an unscored (manual) one is WARN — but on the configuration the component really runs with.

# %% [markdown]
# ## Lab
# ### The ports, and who answers
# The 2019 workshop had a port table; here it is corrected and completed for today.

# %% tags=["nbval-check-output"]
from kslab.audit.ports import PORTS, port_table, probe_lab, then_vs_now_table

port_table()

# %% [markdown]
# The rows of the 2019 slide, next to what is true today (4149 was never cAdvisor's port, 10255 is
# closed by default when the kubelet reads a config file):

# %% tags=["nbval-check-output"]
then_vs_now_table()

# %% [markdown]
# A table is a claim; a probe checks it. `probe_lab` connects to your lab cluster's node (never to any
# other address) with short timeouts and asks each port for something *without credentials*: 401 means
# "authenticate first", 403 means "I accepted you as anonymous, but you may not", 200 means "here you
# are".

# %%
print(probe_lab(lab))

# %% [markdown]
# ### How the API server reads its flags
# Kubernetes components parse flags with the Go library *pflag*. Its rules decide what a server really
# runs with, and they are not what a quick look suggests: a repeated flag keeps its **last** value, a
# list flag **accumulates**, a boolean given as `--flag false` is `true` (and `false` is left over as a
# stray argument that stops the server), and a leading `0` makes an integer octal.

# %% tags=["nbval-check-output"]
from kslab.audit.flags import parse_args

line = parse_args(["--profiling=false", "--profiling=true",
                   "--authorization-mode=Node", "--authorization-mode", "RBAC",
                   "--audit-log-maxage=030", "--anonymous-auth", "false"], "kube-apiserver")
for flag in ("profiling", "authorization-mode", "audit-log-maxage", "anonymous-auth"):
    print(f"--{flag:20} -> {line.value(flag)!r}")
print("problems:", line.problems)

# %% [markdown]
# ### Authorization mode and anonymous auth
# The 2019 slides: set `--authorization-mode=RBAC`, beware `--anonymous-auth=true` — which is the
# default. Today's advice is `--authorization-mode=Node,RBAC`. Let us audit a command line with exactly
# the 2019 advice; a flag left out counts with its default value.

# %% tags=["nbval-check-output"]
from kslab.audit import audit, from_command_line

report = audit(from_command_line("kube-apiserver --authorization-mode=RBAC"))
report.view([report.row(i) for i in ("1.2.1", "1.2.6", "1.2.7", "1.2.8")])

# %% [markdown]
# 1.2.7 fails. Without the **Node** authorizer the kubelets must be authorized some other way — with RBAC
# alone, by binding the `system:node` ClusterRole to the `system:nodes` group (as clusters did before
# 1.8) — and that role may read every Secret in the cluster, so then any one kubelet's credentials can.
# The Node authorizer lets each kubelet read only the Secrets, ConfigMaps and volumes of the pods
# scheduled to it. 1.2.1 is a manual check, so it is WARN rather than FAIL — but anonymous auth is on. Each row
# carries the reason it matters:
#
# <!-- Source: the Node authorizer, kubernetes/kubernetes PR 46076 (with Node,RBAC the system:node binding
# to system:nodes is not created); RBAC docs, default ClusterRole system:node ("read access to all secrets",
# kept for clusters upgraded from before 1.8). -->

# %% tags=["nbval-check-output"]
for check in ("1.2.1", "1.2.7"):
    print(f"{check}: {report.row(check).why}")

# %% [markdown]
# ### The insecure port: a history
# In 2019 the API server still had a second, plain-HTTP port (8080) with **no authentication and no
# authorization**; the advice was `--insecure-port=0`. Since 1.20 only 0 was accepted, and 1.24
# removed the flag: a current API server does not start with it. The audit recognises it and explains:

# %% tags=["nbval-check-output"]
report = audit(from_command_line("kube-apiserver --insecure-port=0 --authorization-mode=Node,RBAC"))
row = report.row("then-vs-now: --insecure-port")
print(row.status, row.observed)
print(row.why)

# %% [markdown]
# ### x509 certificates
# The API server proves who it is with `--tls-cert-file`/`--tls-private-key-file`, and recognises
# clients whose certificates were signed by the CA in `--client-ca-file` (the certificate's CN becomes
# the user name, each O a group). It is itself a client twice: of etcd (`--etcd-certfile`,
# `--etcd-keyfile`, checking etcd with `--etcd-cafile`) and of every kubelet (`--kubelet-client-certificate`,
# `--kubelet-client-key`, checking the kubelet with `--kubelet-certificate-authority`). kubeadm sets up
# all of it — except the last one:

# %% tags=["nbval-check-output"]
from kslab.audit import audit_apiserver, bundled

kubeadm = audit_apiserver(bundled("kube-apiserver-kubeadm.yaml"))
kubeadm.view([kubeadm.row(i) for i in ("1.2.4", "1.2.5", "1.2.22", "1.2.23", "1.2.24", "1.2.25", "1.2.26")])

# %% [markdown]
# Without 1.2.5 the API server talks to kubelets on port 10250 without checking who answers. Fixing it
# needs kubelets with serving certificates signed by the cluster CA (`serverTLSBootstrap: true`), which
# is why kubeadm leaves it to you.
#
# ### Admission plugins: today and in 2019
# After authentication and authorization, *admission plugins* may change or refuse a request. Some are
# on unless you turn them off; **PodSecurity** (notebook 03) is one of them. `NodeRestriction` is not,
# and kubeadm adds it.

# %% tags=["nbval-check-output"]
from kslab.audit.flags import _catalog_data

print(", ".join(_catalog_data()["kube-apiserver"]["default_admission_plugins"]))

# %% [markdown]
# The 2019 advice was `--admission-control=...,DenyEscalatingExec,PodSecurityPolicy`. The flag was
# replaced long ago, and both plugins are gone: a current API server refuses to start with either named.

# %% tags=["nbval-check-output"]
report = audit(from_command_line(
    "kube-apiserver --authorization-mode=Node,RBAC --admission-control=NamespaceLifecycle,ServiceAccount,"
    "DenyEscalatingExec,PodSecurityPolicy"))
for r in report.rows:
    if r.section == "then vs now":
        print(f"{r.id}\n    {r.why}\n    -> {r.remediation}")

# %% [markdown]
# ### A CIS audit of your API server
# On the course's kind cluster the API server runs as a static pod, and its pod in `kube-system` shows
# the real command line. On a managed cluster (EKS, GKE, AKS) the control plane is hidden, and the
# report says so. Offline there is no cluster: the audit below is of the bundled kubeadm v1.33
# manifest, and it says that too.

# %% tags=["nbval-check-output"]
from kslab.audit import audit_cluster_apiserver

mine = audit_cluster_apiserver(lab)
print(mine.summary())
print(mine.notes[0] if mine.notes else "audited live")

# %% [markdown]
# The full table, with the rows where kube-bench would read the same input differently at the end:

# %%
mine

# %% [markdown]
# Three bundled API server manifests — kubeadm's defaults, the same hardened, and a 2019-style one —
# side by side:

# %% tags=["nbval-check-output"]
from kslab.audit import audit_kubelet

from kslab.views.tables import Table

encryption = bundled("encryption-config.yaml")
rows = []
for name in ("kube-apiserver-kubeadm.yaml", "kube-apiserver-hardened.yaml", "kube-apiserver-2019.yaml"):
    r = audit_apiserver(bundled(name), encryption_config=encryption if "hardened" in name else None)
    rows.append({"manifest": name, **r.counts(), "exit": r.exit_code})
Table(rows, ["manifest", "PASS", "FAIL", "WARN", "INFO", "exit"])

# %% [markdown]
# The 2019-style manifest fails 14 scored checks. One of them, 1.2.6, kube-bench would report as PASS:
# someone appended `--authorization-mode=AlwaysAllow` "for debugging", pflag adds it to the list, and
# kube-bench reads only the first occurrence.

# %% tags=["nbval-check-output"]
old = audit_apiserver(bundled("kube-apiserver-2019.yaml"))
for r in old.disagreements():
    print(f"{r.id}: kslab {r.status}, kube-bench {r.kube_bench}\n  {r.kube_bench_note}")

# %% [markdown]
# ### The kubelet
# The kubelet reads a `KubeletConfiguration` file (kubeadm writes `/var/lib/kubelet/config.yaml`);
# command-line flags override it. A setting left out takes the **config file's** default — anonymous
# auth off, `Webhook` authorization, read-only port 0 — while a kubelet started with flags only keeps
# the old command-line defaults (anonymous on, `AlwaysAllow`, port 10255 open). Live, kslab reads your
# node's running configuration from `/configz` through the API server; offline, the bundled kubeadm file.

# %% tags=["nbval-check-output"]
from kslab.audit import audit_cluster_kubelet

node = audit_cluster_kubelet(lab)
node.view(title=node.summary())

# %% [markdown]
# kubeadm writes `streamingConnectionIdleTimeout: 0s`. A zero here means "use the default" (4h0m0s),
# which is why 4.2.5 passes — kube-bench passes it too, but only because it compares the text `0s` with
# `0`. The same kubelet started without a config file is another story:

# %% tags=["nbval-check-output"]
legacy = audit(from_command_line("kubelet --kubeconfig=/etc/kubernetes/kubelet.conf", component="kubelet"))
legacy.view([legacy.row(i) for i in ("4.2.1", "4.2.2", "4.2.4")], title=legacy.row("4.2.4").kube_bench_note)

# %% [markdown]
# ### Explore: toggle the API server's flags
# The widget starts from kubeadm's command line; each control changes one flag and the audit table
# follows, coloured and with its PASS/FAIL/WARN/INFO words. Try the 2019 options at the bottom.

# %% tags=["nbval-check-output"]
from kslab.widgets.apiserver_flags import apiserver_flags_widget

apiserver_flags_widget()

# %% [markdown]
# ### How kube-bench relates
# kube-bench runs on a node (as a Job with the host's PID namespace and config files mounted), reads
# each process's command line from `ps`, and decides the same CIS checks. kslab's checks *are*
# kube-bench's (cis-1.12: same ids, operators and scored/manual); the difference is the reading. If you
# have run `kube-bench --json`, read its result into the same table:

# %% tags=["nbval-check-output"]
from kslab.audit.kube_bench import bundled_sample, import_kube_bench

imported = import_kube_bench(bundled_sample())
imported.view(title=imported.summary())

# %% [markdown]
# The sample was made for the kubeadm manifest; on the checks it contains, kube-bench and kslab agree:

# %% tags=["nbval-check-output"]
ours = {**kubeadm.statuses(), **audit_kubelet(bundled("kubelet-config-kubeadm.yaml")).statuses()}
print(all(ours[cid] == status for cid, status in imported.statuses().items()))

# %% [markdown]
# The same from a terminal: `kslab audit apiserver FILE`, `kslab audit kubelet FILE`, `--live` for your
# cluster, `kslab audit import kube-bench.json`; `--json` for rows; exit code 1 when a scored check fails.
#
# #### Your turn: run kube-bench yourself
# On the course's kind cluster, run kube-bench with a Job of kslab's own (read it first: it needs the
# host's PID namespace and read-only views of the node's configuration, so its namespace enforces
# *privileged*; the image is pinned). Open a terminal (JupyterLab **File ▸ New ▸ Terminal**) and type
# the commands; exercise `02.kube-bench-import` below reads the file you saved.

# %%
from kslab.handson import lab02

job_file = lab02.write_job()
lab02.kube_bench_steps(lab, job_file)

# %% [markdown]
# **Do it for me** (optional): kslab applies the same Job, waits for it (a few minutes at most), saves its
# JSON where the commands above would and imports it. On another cluster, or offline, it says why it does not.

# %%
lab02.run_kube_bench(lab)

# %% [markdown]
# Or harden a manifest yourself, anywhere: kslab copies the kubeadm manifest into a file of yours
# (outside the repository; an existing file is kept), you edit its flags, and exercise `02.harden-file`
# audits your file.

# %%
my_manifest = lab02.starter()
lab02.harden_steps(my_manifest)

# %% [markdown]
# ## Then vs now
#
# | 2019 | today |
# |---|---|
# | `--insecure-port=0` | the insecure port is gone (1.24); nothing to set |
# | `--admission-control=...,DenyEscalatingExec,PodSecurityPolicy` | `--enable-admission-plugins`; both plugins removed (1.21, 1.25); Pod Security Admission and RBAC on `pods/exec` instead |
# | `--authorization-mode=RBAC` | `--authorization-mode=Node,RBAC` |
# | ports 4149 "cAdvisor", 10255 read-only | cAdvisor's port (4194) removed in 1.12; 10255 closed by default with a config file |
# | CIS benchmark 1.5 (insecure port, PSP checks) | cis-1.12: 30 API server checks, 14 kubelet checks |
#
# ## Exercises
# Each exercise first shows its question and the form its answer takes; answer in the cell below it
# (replace the `...`, or change the starting answer) and run that cell: kslab checks it with the same audit you used above and remembers it. Until you
# change it the cell says "not answered yet", which counts as no attempt. `ex.hint()` gives one hint at
# a time, `ex.solution()` the solution as a cell to run.

# %%
ex = kslab.exercise("02.harden-manifest")
ex

# %% tags=["nbval-check-output"]
from kslab.exercises.nb02 import kubeadm_manifest

manifest = kubeadm_manifest()
command = manifest["spec"]["containers"][0]["command"]
# command += ["--profiling=false", ...]  # add the flags the audit asks for
ex.check(manifest)

# %%
ex = kslab.exercise("02.kube-bench-disagrees")
ex

# %% tags=["nbval-check-output"]
ex.check(...)  # the check ids, e.g. {"1.2.1"}

# %%
ex = kslab.exercise("02.first-occurrence")
ex

# %% tags=["nbval-check-output"]
ex.check("kube-apiserver --profiling=false")  # change the command line

# %%
ex = kslab.exercise("02.open-port")
ex

# %% tags=["nbval-check-output"]
ex.check((..., ...))  # (port, "check id")

# %% [markdown]
# The two hands-on exercises read the files you made in the terminal:

# %%
ex = kslab.exercise("02.harden-file")
ex

# %%
ex.check(...)  # replace ... with my_manifest once `kslab audit apiserver` shows no FAIL

# %% [markdown]
# **Do it for me** (optional): writes the bundled hardened manifest into your file (yours kept as `.yaml.bak`).

# %%
lab02.do_it_for_me(my_manifest)

# %%
ex = kslab.exercise("02.kube-bench-import")
ex

# %%
ex.check(...)  # replace ... with the path of the JSON you saved (offline: str(bundled_sample()))

# %% [markdown]
# Your progress in this notebook:

# %%
kslab.progress("02")

# %% [markdown]
# ## Clean up
# This notebook only read configuration: it created nothing in the cluster, so there is nothing to delete.

# %%
from kslab.cluster.cleanup import clean

clean(lab, "02")
