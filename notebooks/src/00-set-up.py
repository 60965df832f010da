# %% [markdown]
# # 00 · Set up our cluster
#
# ## Goal
# Get a place to run the labs — a local kind cluster, a cluster you already have, or no cluster at
# all — and check that your machine has what the course needs.
#
# ## Background
# kslab works in two modes. **Live**: a cluster from your kubeconfig answers, and the labs act on it.
# **Offline**: no cluster; everything that can be computed locally is computed for real, and what only a
# cluster could show is labelled as a prediction.
#
# ## Lab
# Connect: kslab picks live or offline and tells you why.

# %%
import kslab

lab = kslab.connect()
lab

# %% [markdown]
# The mode is decided by a small set of rules; here is the one that matters offline.

# %%
# NBVAL_CHECK_OUTPUT
print(lab.mode)

# %% [markdown]
# ## Then vs now
# In 2019 the workshop ran on Play-with-Kubernetes; today the course uses kind on your laptop.
#
# ## Exercises
# The exercises for this notebook arrive with the cluster set-up lab.
#
# ## Clean up
# Nothing was created yet.
