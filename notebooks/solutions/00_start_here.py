# Solution to "Try it" in 00_start_here: one subscriber, then publish again.
if hub.get_subscription("me") is None:  # the exercise may have made it already
    hub.subscribe("me", "hello")
answer = hub.publish("hello", "world")
answer
