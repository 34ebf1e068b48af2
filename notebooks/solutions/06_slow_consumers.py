# Solution to "Try it" in 06_slow_consumers: what PUBLISH counted for the stuck consumer, minus what it received.
answer = delivered - received
answer
