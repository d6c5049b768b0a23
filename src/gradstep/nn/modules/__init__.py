"""The layers, one concept per file; ``gradstep.nn`` re-exports them."""
