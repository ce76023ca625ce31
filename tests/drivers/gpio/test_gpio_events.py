"""EventDecoder: raw records to EdgeEvents; overflow gaps are reported and logged."""
import logging

from picoos.drivers.gpio import uapi
from picoos.drivers.gpio.events import EdgeEvent, EventDecoder


def test_decode_events_with_names():
    d = EventDecoder({17: "GPIO17"})
    evs = d.decode(uapi.pack_event(10, uapi.EVENT_RISING, 17, 1, 1)
                   + uapi.pack_event(20, uapi.EVENT_FALLING, 17, 2, 2))
    assert evs == [EdgeEvent("rising", 10, 17, "GPIO17", 1, 1, 0),
                   EdgeEvent("falling", 20, 17, "GPIO17", 2, 2, 0)]
    assert evs[0].rising and not evs[1].rising
    assert "rising GPIO17" in repr(evs[0])
    assert d.lost_total == 0


def test_seqno_gap_is_reported_on_the_next_event_and_logged(caplog):
    d = EventDecoder({3: "btn"}, "test request")
    with caplog.at_level(logging.WARNING, logger="picoos.drivers.gpio"):
        evs = d.decode(uapi.pack_event(1, uapi.EVENT_RISING, 3, 1, 1)
                       + uapi.pack_event(2, uapi.EVENT_FALLING, 3, 5, 5))
    assert [e.lost for e in evs] == [0, 3]
    assert d.lost_total == 3
    assert "3 edge event(s) lost before seqno 5" in caplog.text
    assert "lost=3" in repr(evs[1])


def test_unknown_event_id_is_skipped_with_a_warning(caplog):
    d = EventDecoder({})
    with caplog.at_level(logging.WARNING, logger="picoos.drivers.gpio"):
        assert d.decode(uapi.pack_event(1, 9, 0, 1, 1)) == []
    assert "unknown id 9" in caplog.text
