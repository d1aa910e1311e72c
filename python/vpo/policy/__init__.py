"""Policies, pure: the YAML model (both schema versions), loading it, the evaluator (tracks
+ policy -> plan), the plan, the verification of a result and the in-place edits a plan
needs. Nothing here touches a file: carrying a plan out is edit/'s, `vpo apply` is apply/'s."""
