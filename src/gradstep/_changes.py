"""A count of the changes a captured step must see (``train.compiled_step``): a module's attribute
set or deleted, a parameter, buffer or layer registered or dropped, a mode switched, a hook added
to a module or a tensor. A captured step compares it with the count it last saw and looks at its
model again only when it moved, instead of at every step."""

count = [0]
