# Solution to "Try it" in 08_sharded_pubsub: a hash tag holding the whole of the first name.
answer = "{billing:invoice}:paid"   # only "billing:invoice", inside {...}, is hashed: the same slot
answer
