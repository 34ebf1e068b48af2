# Solution to "Try it" in 03_patterns_and_introspection: anchor on the last character.
# `*` crosses ':', so no glob stops at one segment; the wanted names end in d and w.
# Better still, design names so the level you filter on comes last (orders:eu:new).
answer = "orders:*[dw]"
answer
