"""The smallest pieces of the public contract, shared by the scheduler (which fills them) and
the plan contract (which serves them), so that neither imports the other."""
