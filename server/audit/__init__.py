"""Reading the past and proving it: replay, who could do what, diffs, the audit trail,
signed checkpoints and exports."""
