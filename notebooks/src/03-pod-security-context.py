# %% [markdown]
# # 03 · Pod security context
#
# ## Goal
# See why a pod's **security context** matters by attacking the course's webapp from the inside, then
# stop each step of the attack with one setting at a time — `runAsUser`, `readOnlyRootFilesystem`,
# `allowPrivilegeEscalation` — and finally make the cluster itself refuse unsafe pods with **Pod
# Security Admission**, judged here with the exact wording the API server uses.

# %%
import kslab

lab = kslab.connect()
lab

# %% [markdown]
# ## Background
#
# **A container is a process.** There is no "container" object in the Linux kernel: a container is an
# ordinary process that the runtime starts inside its own *namespaces* (it sees its own process tree,
# network, mounts, hostname and users) and *cgroups* (it gets a bounded share of CPU, memory and PIDs).
# Namespaces limit what the process can *see*, cgroups what it can *use*. Neither decides what it may
# *do* with what it sees — a process running as root in a container is still uid 0 to the kernel.
#
# Three kernel mechanisms restrict what it may do, and a pod chooses them in its `securityContext`:
#
# | mechanism | what it restricts | pod field |
# |---|---|---|
# | **seccomp** | which system calls the process may make | `seccompProfile: {type: RuntimeDefault}` |
# | **AppArmor** (Debian, Ubuntu, SUSE) | which files, capabilities and network the program may use | `appArmorProfile: {type: RuntimeDefault}` |
# | **SELinux** (Red Hat family) | labels on processes and files; what label may touch what | `seLinuxOptions` |
#
# And some plain Unix settings decide the rest: which **user** the process runs as (`runAsUser`,
# `runAsNonRoot`), whether the image's files can be **written** (`readOnlyRootFilesystem`), whether a
# setuid program can **raise privileges** (`allowPrivilegeEscalation`), which root **capabilities** it
# keeps (`capabilities.drop: [ALL]`), and whether it is **privileged** (almost no isolation at all).
# Nothing in Kubernetes sets the safe values for you: by default a container runs as whatever user its
# image says — usually root.

# %% [markdown]
# ## Lab
# ### The webapp, as deployed in 2019
# The 2019 workshop deployed its webapp with `kubectl apply` and no security context. Here is our version
# of that Deployment (our own image: `webapp/` in this repository; `KSLAB_WEBAPP_IMAGE` names it). Like
# the original it binds port 3000 of the node with a `hostPort` — hold that thought.

# %%
from kslab.manifests.render import to_yaml
from kslab.manifests.webapp import seed_deployment

deployment = seed_deployment("as deployed")
print(to_yaml(deployment))

# %% [markdown]
# The 2019 manifests had a subtle bug: the security settings were indented one level too far out, under
# the *pod* instead of the container, where `readOnlyRootFilesystem` and `allowPrivilegeEscalation` do
# not exist. A lenient API server drops unknown fields, so the settings silently did nothing. Schema
# validation (kubernetes-validate, offline) catches it before anything is sent:

# %% tags=["nbval-check-output"]
from kslab.manifests.validate import validate

for problem in validate(seed_deployment("all three", as_written=True)):
    print(problem)

# %% [markdown]
# ### The hack
# An attacker who gets a shell in the container (through a bug in the app, or `kubectl exec -it POD -- sh`)
# tries four things: find out who they are, deface the page the app serves, write a file, and become
# root through a setuid program.
#
# #### Your turn: the hack by hand
# kslab deploys the webapp in the lab namespace `kslab-03` and prints the commands for *your* pod. Open a
# terminal next to this notebook — in JupyterLab **File ▸ New ▸ Terminal** (or the *Terminal* tile in the
# Launcher), then drag its tab to the right — and type them there. The page your pod serves is shown
# below, fetched over HTTP; the URL opens it in your browser too. Offline there is no pod, and the
# commands show placeholders.

# %%
from kslab.handson import lab03

you = lab03.webapp(lab, deployment)
you

# %% [markdown]
# The page as your pod serves it now, before the hack:

# %%
you.original

# %% [markdown]
# Now type the commands in the terminal, then run the check: it fetches the page again and asks the pod
# itself what each step did — `id`, who owns the page, how `/` is mounted, the kernel's `NoNewPrivs`
# flag, and the kernel's own answer to opening the page for writing and to `become-root`. Offline it
# shows the prediction, labelled.

# %%
lab03.tried(lab, you)

# %%
ex = kslab.exercise("03.deface")
ex

# %%
ex.check(..., against=you)  # replace ... with the text you added to the page

# %% [markdown]
# **Do it for me** (optional, for a reader who only reads): kslab runs the same commands in your pod —
# fixed argument lists, no shell of yours — and checks them the same way.

# %%
lab03.do_it_for_me(lab, you)

# %% [markdown]
# Or let kslab run all four steps in a fresh pod and show its prediction next to what happened. Offline,
# kslab runs them in a **local sandbox** where this machine can run one (Linux: as root, or rootless where user namespaces map the ids it needs): the webapp's files
# under runc — the OCI runtime containerd and kind use — with the security context translated the way the
# kubelet and containerd translate it, so a real kernel answers (`kslab sandbox shell FILE` gives you a shell
# in it, `kslab sandbox serve FILE` its page). Elsewhere (Binder, a Mac) it shows the prediction from the
# security context. Every table says which of the three it is.

# %%
from kslab import hack

hack.run(lab, deployment)

# %% [markdown]
# Everything works: the process is root, root owns the page, and nothing stops it.
#
# ### Step 1: `runAsUser: 1000`
# Run the process as an ordinary user (the image knows uid 1000 as `webapp`).

# %%
hack.run(lab, seed_deployment("runAsUser"))

# %% [markdown]
# **Try it again by hand** with `runAsUser: 1000` (a new pod: the commands name it), then run
# the check: it says which step the kernel stopped, with the kernel's own error. **Do it for me**
# (optional) is the cell after it.

# %%
you = lab03.webapp(lab, seed_deployment("runAsUser"))
you

# %%
lab03.tried(lab, you)

# %%
lab03.do_it_for_me(lab, you)

# %% [markdown]
# The page is safe now — it belongs to root — but `/tmp` is still writable and, worse, `become-root`
# still works: it is a setuid-root program, and the kernel honours its setuid bit.
#
# ### Step 2: `readOnlyRootFilesystem: true`
# Mount the image's filesystem read-only (the app only reads `/www`).

# %%
hack.run(lab, seed_deployment("readOnlyRootFilesystem"))

# %% [markdown]
# **Try it again by hand** with `readOnlyRootFilesystem: true` (a new pod: the commands name it), then run
# the check: it says which step the kernel stopped, with the kernel's own error. **Do it for me**
# (optional) is the cell after it.

# %%
you = lab03.webapp(lab, seed_deployment("readOnlyRootFilesystem"))
you

# %%
lab03.tried(lab, you)

# %%
lab03.do_it_for_me(lab, you)

# %% [markdown]
# Even root cannot write now: the filesystem refuses. But the process is still root, so it could do
# everything root can do that is not writing to the image.
#
# ### Step 3: `allowPrivilegeEscalation: false`
# This sets the kernel's *no_new_privs* flag: setuid and file capabilities stop granting anything.

# %%
hack.run(lab, seed_deployment("allowPrivilegeEscalation"))

# %% [markdown]
# **Try it again by hand** with `allowPrivilegeEscalation: false` (a new pod: the commands name it), then run
# the check: it says which step the kernel stopped, with the kernel's own error. **Do it for me**
# (optional) is the cell after it.

# %%
you = lab03.webapp(lab, seed_deployment("allowPrivilegeEscalation"))
you

# %%
lab03.tried(lab, you)

# %%
lab03.do_it_for_me(lab, you)

# %% [markdown]
# Alone it changes nothing here: the process is already root, so there is nothing to escalate to. It
# only matters together with a non-root user.
#
# ### All three
# Each setting closes a different door, so use them together.

# %%
hack.run(lab, seed_deployment("all three"))

# %% [markdown]
# #### Try again by hand
# The same commands against a webapp with all three settings (a new pod: the commands name it). Each
# step should fail now; the check says which step the kernel stopped, with the kernel's own error.

# %%
you = lab03.webapp(lab, seed_deployment("all three"))
you

# %%
lab03.tried(lab, you)

# %% [markdown]
# **Do it for me** (optional):

# %%
lab03.do_it_for_me(lab, you)

# %% [markdown]
# ### What the shell said, step by step
# Whoever runs the hack — a node of your cluster, the local sandbox, or the model — the words are the
# kernel's. Here they are together, for the seed's steps and for today's restricted webapp (later in this
# notebook): observed in the sandbox where one runs, predicted elsewhere, and the same either way.
# Look at the page with `runAsUser: 1000` *and* a read-only root: `Permission denied`, not
# `Read-only file system`. The kernel checks the file's owner and mode before the mount's read-only flag,
# so only *creating* a file (in `/tmp`) meets the read-only mount.

# %% tags=["nbval-check-output"]
from kslab.fidelity import outcomes

outcomes()

# %% [markdown]
# ### Explore: toggle the security context
# The widget shows the manifest, the Pod Security Standards verdicts (with the API server's words) and
# the predicted hack for any combination of settings. **Apply** runs the hack for real, next to the
# prediction: live in your cluster, offline in the local sandbox where one runs here.

# %% tags=["nbval-check-output"]
from kslab.widgets.security_context import security_context_widget

security_context_widget(lab)

# %% [markdown]
# ### Pod Security Admission: let the cluster refuse unsafe pods
# Settings in a manifest protect only the pods whose authors remember them. **Pod Security Admission**
# (built into the API server, GA since 1.25) makes a namespace enforce one of three **Pod Security
# Standards**: `privileged` (anything goes), `baseline` (blocks known privilege escalations: privileged
# containers, host namespaces, hostPath, **hostPort**, extra capabilities …) and `restricted` (also
# requires non-root, `allowPrivilegeEscalation: false`, dropping all capabilities and a seccomp profile).
# A namespace chooses with labels:

# %% tags=["nbval-check-output"]
from kslab.manifests.namespace import psa_labels

labels = psa_labels(enforce="restricted", warn="restricted")
labels

# %% [markdown]
# Now create the 2019 webapp's pod, with all three settings, in such a namespace. Offline, kslab's
# evaluator says what the API server would answer (it agrees with the API server word for word on
# upstream's test pods); live, the real API server answers a server-side dry run.

# %% tags=["nbval-check-output"]
from kslab.cluster import pods
from kslab.manifests.webapp import SEED_STEPS, webapp_pod

seed_pod = webapp_pod(SEED_STEPS["all three"], host_port=3000)
pods.admission(lab, seed_pod, labels)

# %% [markdown]
# Rejected, and the message lists every check that failed: the seed's three settings were good, but
# `restricted` asks for more, and the `hostPort` already fails `baseline`. The same verdict, check by
# check, from the evaluator (what `kslab pss pod.yaml` prints on the command line):

# %% tags=["nbval-check-output"]
from kslab import pss

pss.evaluate(seed_pod, "restricted")

# %% [markdown]
# A Deployment is not rejected — Pod Security only *warns* about workloads — but every pod its
# ReplicaSet tries to create would be, so the Deployment would never get a single replica:

# %% tags=["nbval-check-output"]
pods.admission(lab, seed_deployment("all three"), labels)

# %% [markdown]
# Fix it: a Service instead of the hostPort (see `kslab.manifests.webapp.webapp_service`), and the
# restricted settings. `/tmp` gets an `emptyDir` volume, since the root filesystem is read-only.

# %% tags=["nbval-check-output"]
from kslab.manifests.webapp import RESTRICTED_CONTEXT

fixed_pod = webapp_pod(RESTRICTED_CONTEXT, tmp_volume=True)
print(to_yaml(fixed_pod["spec"]["containers"][0]["securityContext"]))
pods.admission(lab, fixed_pod, labels)

# %% [markdown]
# And the hack against the fixed webapp: only the scratch space in `/tmp` is writable, on purpose.

# %%
from kslab.manifests.webapp import webapp_deployment

hack.run(lab, webapp_deployment(RESTRICTED_CONTEXT, tmp_volume=True))

# %% [markdown]
# Policies are versioned too: a namespace can pin `enforce-version: v1.30` so that upgrading the cluster
# does not suddenly reject pods a newer standard forbids. For example, probes that connect to another
# host are forbidden only from v1.34:

# %% tags=["nbval-check-output"]
probe_pod = webapp_pod(RESTRICTED_CONTEXT, name="prober")
probe_pod["spec"]["containers"][0]["livenessProbe"] = {"httpGet": {"host": "10.0.0.1", "port": 80}}
for version in ("v1.33", "v1.34"):
    print(pss.evaluate(probe_pod, "baseline", version))

# %% [markdown]
# ## Then vs now
# | 2019 | today |
# |---|---|
# | PodSecurityPolicy objects, enabled with `--enable-admission-plugins=...,PodSecurityPolicy` | PodSecurityPolicy was deprecated in 1.21 and **removed in 1.25**; Pod Security Admission (namespace labels, three fixed standards) replaced it. For custom rules: ValidatingAdmissionPolicy (CEL) or an external policy engine |
# | `hostPort: 3000` on the webapp to reach it | `hostPort` violates the **baseline** standard; use a Service (NodePort on kind) or `kubectl port-forward` |
# | `kubectl exec -it POD sh` | `kubectl exec -it POD -- sh`: the form without `--` was deprecated in kubectl 1.18 and removed in kubectl 1.31 |
# | DenyEscalatingExec admission plugin to stop exec into privileged pods | removed in 1.21; use RBAC on `pods/exec` and keep privileged pods out with Pod Security |
# | security settings under the pod, silently ignored | schema validation (`kubectl apply` validates strictly by default since 1.27) rejects unknown fields |
# | seccomp and AppArmor through annotations | fields: `seccompProfile` (GA 1.19), `appArmorProfile` (GA 1.30) |
# | runAsUser, readOnlyRootFilesystem, allowPrivilegeEscalation as "the three policies" | still the core; `restricted` adds runAsNonRoot, drop ALL capabilities and a seccomp profile |
#
# <!-- Sources: `kubectl exec POD cmd` deprecated by kubernetes/kubernetes PR 88460 (kubectl 1.18) and
# removed by PR 125437 (kubectl 1.31). -->

# %% [markdown]
# `kslab modernize` makes these changes for you and says why for each (`kslab modernize FILE` on the
# command line, `--write DIR` for the new files). Here it reads the workshop's five webapp Deployments as
# they were written, indentation slips included:

# %% tags=["nbval-check-output"]
from kslab.modernize import modernize_objects

then_vs_now = modernize_objects([seed_deployment(step, as_written=True) for step in SEED_STEPS],
                                source="2019 webapp")
then_vs_now.summary()

# %% [markdown]
# ## Exercises
# Each exercise first shows its question and the form its answer takes; answer in the cell below it
# (replace the `...`, or change the starting answer) and run that cell: kslab checks it and remembers it. Until you
# change it the cell says "not answered yet", which counts as no attempt. `ex.hint()` gives one hint at
# a time, `ex.solution()` the solution as a cell to run.

# %%
ex = kslab.exercise("03.seed-checks")
ex

# %% tags=["nbval-check-output"]
ex.check({"hostPort"})  # add the others, named as the verdict names them

# %%
ex = kslab.exercise("03.stop-the-hack")
ex

# %% tags=["nbval-check-output"]
ex.check({"runAsUser": 1000})  # complete the security context

# %%
ex = kslab.exercise("03.fewest-changes")
ex

# %% tags=["nbval-check-output"]
import copy

from kslab.exercises.nb03 import FEWEST_POD

my_pod = copy.deepcopy(FEWEST_POD)
# change my_pod here, as little as you can
ex.check(my_pod)

# %%
ex = kslab.exercise("03.modernize-2019")
ex

# %% tags=["nbval-check-output"]
from kslab.exercises.nb03 import SEED_2019

my_manifest = SEED_2019  # rewrite it for v1.36 (kslab.modernize.modernize_text(my_manifest) says what is left)
ex.check(my_manifest)

# %% [markdown]
# **Deploy a webapp the hack cannot touch.** kslab writes the 2019 webapp into a file of yours (outside the
# repository; an existing file is kept). Edit it, apply it with the commands below, and the check reads
# what the cluster runs: the Deployment as stored, judged by Pod Security, the hack tried in its pod, its
# page fetched. Offline it judges the file and runs the hack in the local sandbox where one runs here
# (else predicts it); the page is predicted.

# %%
from kslab.handson import restricted

my_file = restricted.starter()
restricted.steps(lab, my_file)

# %%
ex = kslab.exercise("03.deploy-restricted")
ex

# %%
ex.check(..., against=lab)  # replace ... with my_file once you have applied it

# %% [markdown]
# **Do it for me** (optional): writes a solution into your file (your version kept as `.yaml.bak`) and,
# live, applies it; run the check above again to see it judged.

# %%
restricted.do_it_for_me(lab, my_file)

# %% [markdown]
# Your progress in this notebook:

# %%
kslab.progress("03")

# %% [markdown]
# ## Clean up
# Delete everything this notebook created in the cluster (the `kslab-03` namespaces, the webapp and your
# `webapp-mine`) and close kslab's port-forwards; offline there is nothing to delete.

# %%
from kslab.cluster.cleanup import clean

clean(lab, "03")
