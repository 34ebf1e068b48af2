# Solution to "Try it" in 02_redis_py_pubsub: a run_in_thread subscriber that survives a non-UTF-8 message.
survivor = redis.Redis.from_url(hub.url, decode_responses=True).pubsub()
survivor_data, survivor_errors = [], []
survivor.subscribe(**{"try:sensor": lambda message: survivor_data.append(message["data"])})
survivor_thread = survivor.run_in_thread(
    sleep_time=0.5, daemon=True,
    exception_handler=lambda exc, pubsub, thread: survivor_errors.append(exc),   # counted; the loop goes on
)
answer = (survivor_thread, survivor_data)
