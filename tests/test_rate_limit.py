"""The in-process rate limiter (bot/channels/rate_limit.py), with a fake clock."""
from bot.channels.rate_limit import RateLimits, SlidingWindowLimiter


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_sliding_window_refuses_over_the_limit_and_says_when_to_retry():
    clock = Clock()
    limiter = SlidingWindowLimiter(3, window=60, clock=clock)
    for _ in range(3):
        assert limiter.hit("a").allowed
        clock.now += 1
    refused = limiter.hit("a")
    assert not refused.allowed and refused.first_refusal
    assert refused.retry_after == 57  # the first hit (t=1000) leaves the window at t=1060
    assert refused.retry_after_header == "57"
    assert not limiter.hit("a").first_refusal  # told once
    assert limiter.hit("b").allowed  # another key is independent
    clock.now = 1060
    assert limiter.hit("a").allowed  # the oldest hit left the window
    assert not limiter.hit("a").allowed
    assert limiter.hit("a").first_refusal is False
    clock.now = 1200
    assert limiter.hit("a").allowed
    clock.now += 1
    for _ in range(2):
        limiter.hit("a")
    assert limiter.hit("a").first_refusal  # a new block after an accepted message: told again


def test_refused_messages_do_not_extend_the_wait():
    clock = Clock()
    limiter = SlidingWindowLimiter(2, window=10, clock=clock)
    limiter.hit("a"), limiter.hit("a")
    for _ in range(50):
        clock.now += 0.1
        assert not limiter.hit("a").allowed
    clock.now = 1010
    assert limiter.hit("a").allowed


def test_zero_or_negative_limit_switches_it_off():
    limiter = SlidingWindowLimiter(0, clock=Clock())
    assert all(limiter.hit("a").allowed for _ in range(1000))
    assert len(limiter) == 0


def test_memory_is_bounded_and_idle_keys_expire():
    clock = Clock()
    limiter = SlidingWindowLimiter(5, window=60, clock=clock, max_keys=100)
    for i in range(1000):
        limiter.hit(f"k{i}")
    assert len(limiter) == 100
    clock.now += 61
    limiter.hit("fresh")
    assert len(limiter) == 1


def test_rate_limits_per_sender_and_per_ip():
    clock = Clock()
    limits = RateLimits(per_sender=2, per_ip=3, window=60, clock=clock)
    assert limits.check("alice", "10.0.0.1").allowed
    assert limits.check("alice", "10.0.0.1").allowed
    assert not limits.check("alice", "10.0.0.1").allowed  # per sender
    assert limits.check("bob", "10.0.0.1").allowed  # the refusal above did not count for the IP
    refused = limits.check("carol", "10.0.0.1")  # per IP: 3 accepted
    assert not refused.allowed and refused.first_refusal and refused.retry_after == 60
    assert limits.check("carol", "10.0.0.2").allowed
    assert limits.check(ip="10.0.0.3").allowed  # IP only (the widget's session route)
    assert limits.check("dave").allowed  # sender only (Meta, Twilio)


def test_configuration_from_the_environment():
    limits = RateLimits.from_env({"RATE_LIMIT_PER_SENDER": "5", "RATE_LIMIT_PER_IP": "0"})
    assert limits.sender.limit == 5 and not limits.ip.enabled
    defaults = RateLimits.from_env({"RATE_LIMIT_PER_SENDER": "beaucoup"})
    assert defaults.sender.limit == 20 and defaults.ip.limit == 120
