# Solution to "Try it" in 01_first_message: a third subscriber, then publish again.
third = hub.get_subscription("third")
if third is None or f"{P}orders:new" not in third.channels:  # your attempt may have made it, or on another channel
    hub.unsubscribe("third")
    hub.subscribe("third", f"{P}orders:new")
answer = hub.publish(f"{P}orders:new", {"id": 5})
answer
