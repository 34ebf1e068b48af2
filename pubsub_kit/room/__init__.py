"""Room mode: one shared server for a class, each learner locked to their own channels.

    room = pubsub_kit.room.Room()                     # the facilitator: a locked server, a lobby
    room.join_line                                    # what the projector shows (no secret but the room code)
    hub = pubsub_kit.connect(room=line, name="alice") # a learner: their own ACL user, the kit's hub
"""

from .acl import check_name, explain_refusal
from .facilitator import Room
from .join import RoomJoinError, join_room
from .learner import LearnerHub, RoomPermissionError

__all__ = ["Room", "LearnerHub", "RoomJoinError", "RoomPermissionError", "join_room", "check_name",
           "explain_refusal"]
