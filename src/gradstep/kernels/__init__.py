"""Plain NumPy math: each operation's forward and backward, each optimizer's update rule.

Nothing here knows about Tensors or graphs; autograd ops, the cs231n-style layer functions and any
fused path all call these functions, so each derivative is written once.
"""
