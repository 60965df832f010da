# %% [markdown]
# # 01 · Kubernetes architecture
#
# ## Goal
# Know the parts of a Kubernetes cluster well enough to say, for each one, what it does, where it runs,
# who talks to it — and therefore what an attacker gains by reaching it. Then meet the real components of
# your own cluster.

# %% [markdown]
# ## Background
#
# A cluster has two kinds of machines. The **control plane** decides: it stores the desired state of
# everything, schedules pods and runs the control loops that make reality match. The **nodes** do: they run
# the containers. On a laptop kind cluster both roles share one container; in production the control plane
# is usually three machines of its own (or hidden from you by a cloud provider).
#
# Everything goes through one door, the API server. kubectl, the kubelets, the scheduler and the controllers
# are all clients of it; only the API server touches etcd. That single door is why the rest of this course
# spends so long on who may knock (authentication), what they may do (authorization, RBAC) and what may be
# created (admission, Pod Security).

# %% [markdown]
# First, connect: live if your cluster answers, offline otherwise.

# %%
import kslab
from kslab import architecture

lab = kslab.connect()
lab

# %% [markdown]
# The components, with what each does and the port it listens on today. This table is the data the
# diagram below and the exercises are made from.

# %% tags=["nbval-check-output"]
from kslab.views.tables import Table

Table([{"component": c.name, "plane": c.plane, "ports": ", ".join(c.ports) or "-"} for c in architecture.COMPONENTS],
      ["component", "plane", "ports"])

# %% [markdown]
# What each one is for, in a sentence or two:

# %%
for c in architecture.COMPONENTS:
    print(f"{c.name}: {c.role}")
    if c.security_note:
        print(f"    security: {c.security_note}")

# %% [markdown]
# The same facts as a picture. Arrows show who starts the conversation: the other components call the API
# server (hover over an arrow to see what for), only the API server talks to etcd, and the API server
# calls back to the kubelet for `kubectl exec`, `logs` and `port-forward`.

# %%
architecture.diagram()

# %% [markdown]
# ### How one request travels
# `kubectl apply -f deployment.yaml` becomes: the API server **authenticates** you (client certificate or
# token), **authorizes** the request (RBAC), runs **admission** (mutating, then validating — Pod Security
# lives here) and **stores** the Deployment in etcd. The controller manager notices, creates a ReplicaSet,
# then pods; the scheduler assigns each pod a node; that node's kubelet asks the container runtime to start
# the containers; kube-proxy updates Service rules when the pods become ready. Each arrow is an API call,
# and each is a place security is enforced — or forgotten.

# %% [markdown]
# ## Lab
# Now the real thing. Live, kslab lists your nodes and the pods in `kube-system`; offline there is no
# cluster to ask, so it predicts the inventory from the course's kind configuration (the node image it
# pins) and says so on the first line.

# %%
inventory = architecture.inventory(lab)
inventory

# %% [markdown]
# On a kubeadm-style cluster (kind is one) the control-plane components run as **static pods**: the kubelet
# starts them from files in `/etc/kubernetes/manifests` on the control-plane node, and the API server only
# shows a read-only mirror of them. That is why lab 02 can read the API server's flags from a pod in
# `kube-system` — and why, on a managed cloud cluster where the control plane is hidden, it cannot.

# %% [markdown]
# ## Then vs now
# | 2019 | today |
# |---|---|
# | "master" and "worker" nodes | "control plane" and "node"; kubeadm stopped adding the `node-role.kubernetes.io/master` label in 1.24 and the `master` taint in 1.25 |
# | Docker, Moby, containerd, CRI-O as runtimes | the kubelet talks CRI only: containerd or CRI-O (dockershim was removed in 1.24; Docker Engine needs cri-dockerd) |
# | the controller manager also created a token Secret for every service account | not since 1.24: tokens are requested on demand, bound and expiring (lab 04) |
# | kube-proxy: iptables or IPVS | also nftables (GA in 1.33) |
# | etcd 3.3 | etcd 3.5/3.6, still only reachable by the API server, over mutual TLS |
#
# <!-- Sources: the master label/taint: kubernetes/kubernetes PR 107533 (kubeadm 1.24 adds only the
# control-plane label) and PR 110095 (kubeadm 1.25 stops the master taint), KEP 2067 (sig-cluster-lifecycle). -->

# %% [markdown]
# ## Exercises
# Each exercise first shows its question and the form its answer takes; answer in the cell below it
# (replace the `...`, or change the starting answer) and run that cell: kslab checks it and remembers that you did. Until you
# change it the cell says "not answered yet", which counts as no attempt. `ex.hint()` gives one hint at
# a time, `ex.solution()` the solution as a cell to run.

# %%
ex = kslab.exercise("01.control-plane")
ex

# %% tags=["nbval-check-output"]
my_answer = {"kube-apiserver", "etcd", "kubelet"}  # edit me
ex.check(my_answer)

# %%
ex = kslab.exercise("01.etcd-client")
ex

# %% tags=["nbval-check-output"]
ex.check(...)  # which component?

# %%
ex = kslab.exercise("01.ports")
ex

# %% tags=["nbval-check-output"]
ex.check({6443: ..., 2379: ..., 10250: ..., 10259: ...})  # put the component names in

# %% [markdown]
# Your progress in this notebook:

# %%
kslab.progress("01")

# %% [markdown]
# ## Clean up
# This notebook only read from the cluster; there is nothing to remove.
