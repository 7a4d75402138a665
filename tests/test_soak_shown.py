"""`make soak`'s check that `/` shows every change within 2 s of its answer (tools/soak_shown.py)
tells a page that missed a write from one that showed it, or a write that may have replaced it."""

from tools.soak_shown import Hook, Write, misses


def test_a_page_asked_for_two_seconds_after_a_write_must_show_it():
    write = Write("web", "storm 1-a", started=1.0, answered=1.2)
    shown, missed = (3.5, {"storm 1-a"}, 0), (3.6, {"storm 0-old"}, 0)
    assert misses([shown], [write], []) == (1, [])
    checks, late = misses([missed], [write], [])
    assert checks == 1 and [round(seconds, 1) for seconds in late] == [2.4]


def test_a_page_asked_for_sooner_is_not_held_to_it():
    write = Write("web", "storm 1-a", started=1.0, answered=1.2)
    assert misses([(2.0, {"storm 0-old"}, 0)], [write], []) == (0, [])


def test_a_write_answered_meanwhile_may_stand_in_for_it():
    first = Write("web", "storm 1-a", started=1.0, answered=1.5)
    overlapping = Write("web", "storm 2-b", started=1.1, answered=1.4)  # may have committed after the first
    assert misses([(4.0, {"storm 2-b"}, 0)], [overlapping, first], []) == (1, [])


def test_a_webhook_change_must_show_unless_a_later_client_event_replaced_it():
    hook = Hook("Storm 1 on ", started=3.0, answered=3.5, changed=["web", "sms"])
    client = Write("web", "storm 1-a", started=4.0, answered=4.2)
    answers = [(5.0, {"storm 0-old"}, 1), (6.0, {"storm 1-a", "Storm 1 on sms"}, 0), (6.2, {"storm 1-a"}, 0)]
    checks, late = misses(answers, [client], [hook])
    # 5.0 is too soon; at 6.0 both show; at 6.2 sms does not. The client's own event, written while
    # the delivery was being applied (until 6.0), is not held to `/` then.
    assert checks == 4 and [round(seconds, 1) for seconds in late] == [2.7]
