"""Code that runs inside the sandbox, next to the submission.

Everything in this package imports only the standard library, numpy and jax, and is bind-mounted
read-only into every sandbox. The trusted side imports `wire` (to decode results) and `inputs` (to show
sample inputs in reports); it never imports `harness` in a process that runs user code.
"""
