# %% [markdown]
# # 04 · RBAC, roles and service accounts
#
# ## Goal
# Give the webapp an identity of its own — a **service account** — and exactly the permissions it needs:
# a **Role** that may only read pods, bound to it by a **RoleBinding**, in its own **namespace**. Then
# become that identity with a kubeconfig made from a short-lived token, and watch the API server say
# *yes* to what the Role allows and **403 Forbidden** to everything else. Along the way: what a
# namespace contains, how RBAC decides (computed here by kslab's evaluator, which agrees with the API
# server), and what is inside a service-account token.

# %%
import kslab

lab = kslab.connect()
lab

# %% [markdown]
# ## Background
# ### Namespaces: what is in one, what is not
# A namespace is a name prefix for objects, and the unit most policies attach to: RBAC RoleBindings,
# Pod Security labels, resource quotas, network policies. Pods, Deployments, Services, Secrets,
# ConfigMaps and service accounts live *in* a namespace (and a Service gets the DNS name
# `<service>.<namespace>.svc.cluster.local`). Nodes, persistent volumes, storage classes, namespaces
# themselves and cluster-wide RBAC objects do not. Live, kslab asks the API server (API discovery, what
# `kubectl api-resources` prints); offline it uses a list recorded from the official client and says so.

# %%
from kslab.cluster.api_resources import catalog

resources = catalog(lab)
resources

# %% [markdown]
# A few of them, with their scope:

# %% tags=["nbval-check-output"]
resources.table(["pods", "services", "deployments.apps", "secrets", "configmaps", "serviceaccounts",
                 "resourcequotas", "roles.rbac.authorization.k8s.io", "nodes", "namespaces",
                 "persistentvolumes", "storageclasses.storage.k8s.io",
                 "clusterroles.rbac.authorization.k8s.io"])

# %% [markdown]
# This matters for RBAC: a **RoleBinding grants only inside its own namespace**, so it can never give
# access to a cluster-scoped resource such as nodes — only a ClusterRoleBinding can.
#
# ### Service accounts vs user accounts
# * **User accounts are for people.** Kubernetes has no User object: a user is whatever name the
#   authenticator vouches for (a client certificate's CN, an OIDC claim). Users are global, not
#   namespaced.
# * **Service accounts are for processes in pods.** They are ordinary namespaced objects, and a pod runs
#   as one (`serviceAccountName`). The API server knows a service account by a user name it derives,
#   and puts it in two groups of its own:

# %% tags=["nbval-check-output"]
from kslab.rbac import impersonate, scenario, service_account_user

webapp_user = service_account_user(scenario.NAMESPACE, scenario.SERVICE_ACCOUNT)
impersonate(webapp_user)

# %% [markdown]
# (`system:authenticated` is added to every authenticated user.) A RoleBinding can name the service
# account, its namespace's group (every service account there) or `system:serviceaccounts` (all of them).
#
# ### How RBAC decides
# RBAC has no "deny": a request is allowed when **some rule reaches the user and matches the request**.
# A rule reaches a user through a binding whose subjects name the user or one of its groups:
# ClusterRoleBindings everywhere, RoleBindings only for requests in their namespace. A rule matches when
# the **verb** (case-sensitive), the **API group**, the **resource** (`pods/log` is its own resource;
# `pods` does not grant it) and, if the rule lists any, the **resource name** all match. Read it in
# `kslab/rbac/policy.py` and `kslab/rbac/matching.py`; every decision below explains itself.

# %% [markdown]
# ## Lab
# ### The objects: namespace, service account, Role, RoleBinding
# The 2019 workshop created these one `kubectl apply` at a time. Ours, as data (the Role keeps 2019's
# rules: read pods and their logs, nothing else; the namespace also enforces the restricted Pod Security
# Standard from notebook 03):

# %%
from kslab.manifests.render import to_yaml

print(to_yaml(scenario.lab_objects()))

# %% [markdown]
# Where: in the lab's own namespace `webapp-rbac` — or, when your identity may not create namespaces (a
# student in a classroom), in the namespace your kubeconfig names. The cells below work there:

# %% tags=["nbval-check-output"]
from kslab.cluster import identities

namespace = identities.lab_namespace(lab)
namespace

# %% [markdown]
# Create them (live: server-side apply, labelled as this lab's so clean-up finds them; offline: the plan):

# %%
identities.set_up(lab)

# %% [markdown]
# ### Deploy into the namespace
# The webapp runs as the service account. Unlike 2019 there is no `hostPort` (it violates even the
# baseline standard); offline, kslab's Pod Security evaluator predicts what admission would say.

# %%
deployed = identities.deploy_webapp(lab)
deployed

# %% [markdown]
# ### A kubeconfig for the service account
# Ask the **TokenRequest API** for a token bound to the service account, valid for one hour (what
# `kubectl create token webapp -n webapp-rbac --duration=1h` does), and write a kubeconfig around it:
# the API server's address, the CA to trust (from your admin kubeconfig, or the namespace's
# `kube-root-ca.crt` ConfigMap), the token. The file is readable only by you (mode 0600) and lives in
# kslab's state directory, not in the repository. The token is never shown — its **claims** are the
# lesson: issuer, subject (the user name above), audience, expiry.

# %%
me = identities.service_account_identity(lab, expiration_seconds=3600)
me

# %% [markdown]
# The kubeconfig, with the token and certificates redacted:

# %%
print(me.kubeconfig_text())

# %% [markdown]
# #### Your turn: be the service account
# Use that kubeconfig with kubectl yourself. Open a terminal next to this notebook (JupyterLab
# **File ▸ New ▸ Terminal**) and type these; note what each one does — exercise `04.what-you-saw` at the
# end asks, and checks your answer against the API server's own access review as the service account.

# %%
from kslab.handson import lab04

lab04.steps(me)

# %% [markdown]
# **Do it for me** (optional): kslab sends the same requests as the service account and shows what
# kubectl would print (offline: predicted, nothing sent).

# %%
lab04.do_it_for_me(me)

# %% [markdown]
# ### What can it do? The evaluator's view
# First ask kslab's evaluator, on the same objects. Listing pods in its namespace — allowed, and the
# decision names the binding and the rule (in the API server's own words):

# %% tags=["nbval-check-output"]
policy = scenario.policy(namespace)
policy.can_i(me.user, verb="list", resource="pods", namespace=namespace)

# %% [markdown]
# The same request in another namespace — denied, and the explanation says why:

# %% tags=["nbval-check-output"]
policy.can_i(me.user, verb="list", resource="pods", namespace="default")

# %% [markdown]
# ### The access matrix: predicted and observed
# One question per cell: may this identity do VERB on RESOURCE in its namespace? Offline the evaluator
# answers (predicted); live the API server answers a **SelfSubjectAccessReview** sent *as the service
# account*, through its own kubeconfig, and kslab shows both and any cell where they differ.

# %% tags=["nbval-check-output"]
matrix = identities.access_matrix(me)
matrix

# %% [markdown]
# ### Real requests, real 403s
# An access review asks; a real request does. Acting as the service account, kslab lists pods, then
# tries things its Role does not allow. Anything that would change something is sent with `dryRun=All`,
# so even an allowed one changes nothing. Offline the outcomes are predicted and nothing is sent.

# %% tags=["nbval-check-output"]
identities.try_requests(me)

# %% [markdown]
# A `403 Forbidden` is the authorizer's "no": the request never reached validation or storage.
#
# ### The token inside the pod
# The kubelet mounts a token into every pod that uses a service account (unless
# `automountServiceAccountToken: false`). It is bound to the *pod* and its node as well: delete the pod
# and the token stops working. The kubelet asks for 3607 seconds — but while the API server runs with
# `--service-account-extend-token-expiration=true` (its default, which kubeadm and kind keep; lab 02's
# audit flags it as CIS 1.2.30) it issues such a token for a **year**, with a `warnafter` claim at 3607 s
# so that clients still using it late show up in its metrics. With the flag false the token lives 3607 s
# and the kubelet renews it at 80 % of that. Live, when the webapp's pod runs, kslab reads its claims from
# inside it; offline it predicts them for a cluster with the default:
#
# <!-- Source: kubernetes/kubernetes pkg/serviceaccount/claims.go (WarnOnlyBoundTokenExpirationSeconds =
# 3607, ExpirationExtensionSeconds = one year), PR 96273 (flag default true); kubelet refresh at 80 %:
# the ServiceAccountTokenProjection API docs. -->

# %%
identities.pod_token_claims(lab, deployed)

# %% [markdown]
# ### Who can …?
# The reverse question: which subjects may list pods in the namespace? Live this evaluates every Role
# and binding in your cluster (including its built-in ones); offline the lab's own objects.

# %% tags=["nbval-check-output"]
from kslab.rbac.matrix import who_can

who_can(identities.cluster_policy(lab), "list", "pods", namespace=namespace)

# %% [markdown]
# And who may read secrets there? Least privilege means: nobody who does not need to.

# %% tags=["nbval-check-output"]
who_can(scenario.policy(namespace), "get", "secrets", namespace=namespace)

# %% [markdown]
# Could the webapp give itself more? It may not create Roles at all; and even an identity that may
# create Roles cannot grant permissions it does not hold itself (unless it has the `escalate` verb or is
# in `system:masters`): the API server checks that the creator's own rules **cover** the new Role's, and
# refuses with the permissions that are missing. kslab's version of that check, in the API server's
# words:

# %% tags=["nbval-check-output"]
from kslab.rbac import Rule, may_grant

may_grant(policy, me.user, [Rule(verbs=("get", "list"), api_groups=("",), resources=("secrets",))],
          namespace=namespace)

# %% [markdown]
# ### Explore: access matrices
# Pick an identity and a namespace and see what the lab's policy gives it (predicted by the evaluator).

# %% tags=["nbval-check-output"]
from kslab.widgets.rbac_matrix import matrix_explorer

identities_to_compare = {
    "webapp (service account)": me.user,
    "another service account in the namespace": impersonate(f"system:serviceaccount:{namespace}:other"),
    "alice (a person)": impersonate("alice", ["developers"]),
}
matrix_explorer(policy, identities_to_compare, [namespace, "default"])

# %% [markdown]
# ## Then vs now
# In 2019 every service account got a **token Secret** automatically; the workshop read
# `.secrets[].name` from the service account, decoded `token` and `ca.crt` from that Secret with `jq`,
# and built a kubeconfig with `kubectl config set-credentials --token`. Those tokens never expired, were
# meant for any audience, and anyone who ever copied one kept the access until the Secret was deleted.
#
# | 2019 | today |
# |---|---|
# | a token Secret created for every service account; `.secrets[].name` names it | not created since 1.24; unused legacy tokens are cleaned up (1.30); `.secrets` is empty |
# | token from the Secret, valid forever | **TokenRequest**: `kubectl create token SA -n NS --duration=1h`; expires, has an audience, bound to the service account (for pods also to the pod and node) |
# | `ca.crt` from the same Secret | the `kube-root-ca.crt` ConfigMap in every namespace, or your admin kubeconfig |
# | pods mount the Secret's token | pods mount a projected, auto-rotated bound token |
# | `rbac.authorization.k8s.io/v1beta1` in some manifests | only `rbac.authorization.k8s.io/v1` is served (since 1.22) |
# | `hostPort: 3000` on the webapp | a Service and `kubectl port-forward`; hostPort violates the baseline standard |
#
# The old way still works if you ask for it explicitly: a Secret of type
# `kubernetes.io/service-account-token` annotated with the service account's name, which the token
# controller (in kube-controller-manager) fills in. Live, kslab does exactly that, shows the claims —
# issuer `kubernetes/serviceaccount`, no audience, **no expiry** — and deletes the Secret again:

# %%
identities.legacy_token(lab)

# %% [markdown]
# Compare with the bound token's claims above: `exp` and `aud` are what make it safer — a leaked token
# stops working within the hour, and only the audience it was made for accepts it.

# %% [markdown]
# `kslab modernize` reads the workshop's steps the same way — here the commands that built the
# kubeconfig from the token Secret (the service account's name is ours) — and says what replaces each.
# It never shows a token it finds:

# %% tags=["nbval-check-output"]
from kslab.modernize import modernize_text

steps_2019 = """\
SECRET_NAME=$(kubectl get sa webapp -n kslab-04 -o json | jq -r '.secrets[].name')
USER_TOKEN=$(kubectl get secret -n kslab-04 "$SECRET_NAME" -o json | jq -r '.data["token"]' | base64 -d)
kubectl config set-credentials webapp --kubeconfig=webapp.conf --token="$USER_TOKEN"
kubectl exec -it webapp-7c9f sh
"""
modernize_text(steps_2019, source="2019 steps").summary()

# %% [markdown]
# ## Exercises
# Each exercise first shows its question and the form its answer takes; answer in the cell below it
# (replace the `...`, or change the starting answer) and run that cell: kslab checks it with the same evaluator and remembers it. Until you
# change it the cell says "not answered yet", which counts as no attempt. `ex.hint()` gives one hint at
# a time, `ex.solution()` the solution as a cell to run.

# %%
ex = kslab.exercise("04.namespaced")
ex

# %% tags=["nbval-check-output"]
ex.check({"pods", "nodes"})  # which of them are namespaced?

# %%
ex = kslab.exercise("04.config-reader")
ex

# %% tags=["nbval-check-output"]
my_role = """
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: config-reader
  namespace: webapp-rbac
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list]
"""
ex.check(my_role)  # too generous: make it least privilege

# %%
ex = kslab.exercise("04.narrow-binding")
ex

# %% tags=["nbval-check-output"]
from kslab.exercises.nb04 import TOO_BROAD

ex.check(TOO_BROAD)  # write the narrower binding instead

# %%
ex = kslab.exercise("04.secret-readers")
ex

# %% tags=["nbval-check-output"]
ex.check({"ServiceAccount:ci"})  # who else?

# %%
ex = kslab.exercise("04.what-you-saw")
ex

# %%
ex.check(..., against=me)  # e.g. {"get pods": "allowed", "get secrets": ..., "-n default get pods": ...}

# %% [markdown]
# Your progress in this notebook:

# %%
kslab.progress("04")

# %% [markdown]
# ## Clean up
# Delete what this notebook created (everything labelled `kslab.dev/lab=04`: the namespace with its
# service account, Role, binding and webapp) and the kubeconfig written for the service account.
# Deleting the service account also invalidates its tokens. Offline there is nothing to delete.

# %%
identities.clean_up(lab, me)
