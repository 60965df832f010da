# %% [markdown]
# # 00 · Set up our cluster
#
# **Goal.** Get a place to run the labs — a local kind cluster, a cluster you already have, or no
# cluster at all — and check that your machine has what the course needs.

# %% [markdown]
# ## Goal · Background · Lab · Then vs now · Exercises · Clean up
# Every notebook in this course has these six parts. Run the cells from top to bottom.

# %%
import kslab

lab = kslab.connect()
lab
