# Solution to "Try it" in 09_room: two messages published while learner-09 is away.
before = {row["name"]: row for row in lab.snapshot()["learners"]}["learner-09"]["missed"]
gone = lab.learner("learner-09").get_subscription("class")
room.away("learner-09")
gone.wait_for_state("reconnecting")
room.publish("room:news", {"missed": 1})
room.publish("room:news", {"missed": 2})
room.back("learner-09")
gone.wait_for_state("live", timeout=10)
room.publish("room:news", {"text": "so the gap shows"})
after = {row["name"]: row for row in lab.snapshot()["learners"]}["learner-09"]["missed"]
answer = after - before
answer
