# Solution to "Try it" in 07_dashboard: billing-listener is away while two messages go out.
if hub.get_subscription("billing-listener") is None:   # its Unsubscribe button may have been clicked
    dash.playground.subscribe("billing-listener", "exact", "billing:invoice")
hub.bring_online("billing-listener")                     # in case an attempt left it offline
hub.publish("billing:invoice", {"invoice": "first"})     # a sequence number to count from
hub.wait_until_delivered()
hub.take_offline("billing-listener")
hub.publish_many("billing:invoice", [{"invoice": "lost 1"}, {"invoice": "lost 2"}])
hub.bring_online("billing-listener")
hub.publish("billing:invoice", {"invoice": "next"})      # its sequence number jumps by three: two missed
hub.wait_until_delivered()
answer = hub.get_subscription("billing-listener").missed()[-1].ids()
answer
