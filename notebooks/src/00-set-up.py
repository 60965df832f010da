# %% [markdown]
# # 00 · Set up our cluster
#
# ## Goal
# Get a place to run the labs — a local kind cluster, a cluster you already have, or no cluster at
# all — check that your machine has what the course needs, and know how to take everything down again.

# %% [markdown]
# ## Background
#
# ### What the course assumes
# * **Linux or macOS** (on Windows, use WSL 2), and a terminal with **bash**: a few steps are commands you
#   type, shown like `kslab cluster up`.
# * **Containers**: you know that an image is a packaged filesystem and a container is a process started
#   from it, isolated by the kernel. Lab 03 looks under that hood.
# * **Basic Kubernetes**: a Pod, a Deployment, a Service, a namespace, and `kubectl get` / `apply`.
#   Lab 01 recaps the architecture; nothing more is assumed.
#
# ### Three ways to run the course
# | way | you need | what you get |
# |---|---|---|
# | **kind on your laptop** (recommended) | Docker or Podman, and `kind` | a two-node cluster made for this course: every lab live, attacks included |
# | **an existing cluster** | a kube context (e.g. from your instructor) | the labs live, on a cluster you name explicitly; `kslab cluster check` says whether you have the permissions each lab needs |
# | **offline** (Binder, CI, a train) | nothing but Python | every notebook runs: what can be computed locally is computed for real; what only a cluster can show is a *prediction*, labelled as one |
#
# kslab chooses for you: live when a cluster answers, offline otherwise. `KSLAB_MODE=offline` forces
# offline; `KSLAB_CONTEXT=<context>` names the cluster to use. Labs that create or attack things only
# run on the course's kind cluster or on a context you named yourself — never silently on whatever
# your current context happens to be.

# %% [markdown]
# Every notebook starts the same way: connect, and see which mode you are in and why.

# %%
import kslab
from kslab.cluster import cleanup, images, kind, permissions
from kslab.course import kind_config

lab = kslab.connect()
lab

# %% [markdown]
# ## Lab
#
# ### 1. What does this machine have?
# `kslab.doctor()` (or `kslab doctor` in a terminal) lists Python and its packages, the programs the
# course can use (kubectl, kind, docker or podman, istioctl, helm, tcpdump), your kube contexts and
# whether they answer, and what to install next. Its output depends on your machine.

# %%
kslab.doctor()

# %% [markdown]
# ### 2. The course cluster, by design
# The kind cluster is described by files in `kslab/data/kind/` (its README says how each was made).
# This is what those files make the cluster enforce — read from the files themselves, so it is the same
# offline and live:
#
# * **Pod Security Admission defaults**: namespaces without labels of their own refuse pods that break
#   the *baseline* standard, and warn and audit about *restricted*;
# * **audit logging**: the API server records who did what, rotating its log;
# * **the kubelet's read-only port closed**: port 10255 used to answer anyone, unauthenticated;
# * **ports on 127.0.0.1 only**: the API server and the webapp are reachable from your laptop, not
#   from the network you are on.

# %% tags=["nbval-check-output"]
design = kind_config.describe()
design

# %% [markdown]
# kind publishes no schema for its configuration, so kslab keeps its own, written from kind's Go types,
# plus schemas for the kubeadm, kubelet, admission and audit documents inside it. The check also
# follows each API server flag to the file it names, through the pod's volumes and the node's mounts.
# An empty list means every check passed.

# %% tags=["nbval-check-output"]
kind_config.validate()

# %% [markdown]
# ### 3. Create the cluster
# In a terminal: `kslab cluster up`. It creates the cluster with kind (a minute or two the first time,
# while the node image downloads), shows kind's progress, and loads the webapp image if you built it.
# Run it again and it says the cluster already exists. The cell below does the same from the notebook
# when no cluster answers; offline by choice (as on Binder), it shows the command instead.

# %% tags=["nbval-check-output"]
kind.setup(lab)

# %% [markdown]
# After creating the cluster, connect again: kslab finds the new context `kind-kslab`.

# %%
lab = kslab.connect()
lab

# %% [markdown]
# ### 4. The webapp image
# Labs 03–05 attack and defend a small webapp. `kslab webapp build` builds its image from `webapp/`
# with docker or podman and loads it into the kind cluster (kind nodes cannot see your laptop's images).
# On another cluster, push the image to a registry and set `KSLAB_WEBAPP_IMAGE` to its name.

# %% tags=["nbval-check-output"]
print(images.describe_image())

# %% [markdown]
# ### 5. An existing cluster: do you have what the labs need?
# On a cluster someone else runs you may not be an administrator. kslab asks the API server, for each
# permission a lab needs, the question `kubectl auth can-i` asks (a SelfSubjectAccessReview), and lists
# what is missing with the exact command to show your administrator. Offline it lists the permissions
# without asking.

# %% tags=["nbval-check-output"]
permissions.check_permissions(lab)

# %% [markdown]
# ### 6. Tear it down
# When you are done with the course — or want a fresh start — delete the cluster in a terminal:
#
# ```bash
# kslab cluster down      # deletes the kind cluster and its kube context; says so if there is none
# ```
#
# Istio, if lab 05 installed it, goes with the cluster; on another cluster `kslab cluster istio uninstall`
# removes it. What kslab stores about you (exercise progress, kubeconfigs it wrote) is in `$KSLAB_HOME`
# (default `~/.local/state/kslab`), outside the repository.

# %% [markdown]
# ## Then vs now
# | 2019 | today |
# |---|---|
# | one cluster, on Azure, for the workshop (its pods "talking to the kernel via Moby") | kind runs a real cluster in containers on your own laptop; any cluster you are given works too, or offline with none |
# | PodSecurityPolicy to limit what pods may do | removed in 1.25; Pod Security Admission, configured here as cluster-wide defaults and per-namespace labels |
# | the kubelet's read-only port 10255 often open | closed by default in a kubelet config file, and stated explicitly in ours (`readOnlyPort: 0`) |
# | the API server's insecure port 8080 to turn off | gone since 1.20; only the authenticated port 6443 exists |
# | `kubectl exec -it POD sh` | `kubectl exec -it POD -- sh`: the form without `--` was deprecated in kubectl 1.18 and removed in kubectl 1.31 |
#
# <!-- Sources: `kubectl exec POD cmd` deprecated by kubernetes/kubernetes PR 88460 (kubectl 1.18) and
# removed by PR 125437 (kubectl 1.31). The 2019 cluster: the workshop text (seed) says it ran on Azure. -->

# %% [markdown]
# ## Exercises
# Each exercise first shows its question and the form its answer takes; answer in the cell below it
# (replace the `...`, or change the starting answer) and run that cell: kslab checks it and remembers that you did. Until you
# change it the cell says "not answered yet", which counts as no attempt. `ex.hint()` gives one hint at
# a time, `ex.solution()` the solution as a cell to run.

# %%
ex = kslab.exercise("00.three-ways")
ex

# %% tags=["nbval-check-output"]
from kslab.exercises.nb00 import SITUATIONS

ex.check({situation: ... for situation in SITUATIONS})  # put 'kind', 'existing' or 'offline' for each ...

# %%
ex = kslab.exercise("00.psa-default")
ex

# %% tags=["nbval-check-output"]
ex.check(...)  # which level?

# %%
ex = kslab.exercise("00.read-only-port")
ex

# %% tags=["nbval-check-output"]
ex.check(...)  # which port number?

# %%
ex = kslab.exercise("00.webapp-address")
ex

# %% tags=["nbval-check-output"]
ex.check(...)  # address:port, as in http://ADDRESS:PORT/

# %% [markdown]
# Your progress in this notebook:

# %%
kslab.progress("00")

# %% [markdown]
# ## Clean up
# This notebook created nothing inside a cluster (the cluster itself stays for the next labs; step 6
# says how to delete it). The same clean-up call ends every notebook: it deletes exactly what the lab
# created, found by its labels, and running it twice is harmless.

# %% tags=["nbval-check-output"]
cleanup.clean(lab, "00")
