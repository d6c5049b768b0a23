"""Seed 004's linear regression, fitted with autograd and plain mini-batch SGD.

y = X w + b + noise with true w = [2, -3.4], b = 4.2, 1,000 samples, noise 0.01. Prints the
learned w and b, which land next to the true ones.
"""

import gradstep as gs

gs.manual_seed(0)
num_examples, true_w, true_b = 1000, gs.tensor([2.0, -3.4]), 4.2
X = gs.randn(num_examples, 2)
y = X @ true_w + true_b + 0.01 * gs.randn(num_examples)

w = gs.randn(2, requires_grad=True)
b = gs.zeros(1, requires_grad=True)
lr, batch_size = 0.1, 10

for epoch in range(3):
    perm = gs.randperm(num_examples)
    for i in range(0, num_examples, batch_size):
        idx = perm[i:i + batch_size]
        loss = ((X[idx] @ w + b - y[idx]) ** 2).mean()
        loss.backward()
        with gs.no_grad():                      # plain SGD: p <- p - lr * grad
            for p in (w, b):
                p -= lr * p.grad
                p.grad = None
    with gs.no_grad():
        full_loss = ((X @ w + b - y) ** 2).mean().item()
    print(f"epoch {epoch + 1}: loss {full_loss:.3e}")

print("w:", [round(v, 4) for v in w.tolist()], "(true [2, -3.4])")
print("b:", round(b.item(), 4), "(true 4.2)")
