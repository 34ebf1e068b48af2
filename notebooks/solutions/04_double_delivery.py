# Solution to "Try it" in 04_double_delivery: count each message id once.
answer = len({(m.publisher, m.channel, m.seq) for m in both.messages()})
answer
