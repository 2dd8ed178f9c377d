from decimal import Decimal

import pytest

from lib.domain.catalog import GROK_IMAGINE_VIDEO
from lib.domain.frames import image_frame_size
from lib.domain.money import format_usd, price_quota, price_usd, quota_to_usd


@pytest.mark.parametrize(
    ("seconds", "quota", "usd"),
    [
        (6, 22313, "0.0446"),  # 22312.5 rounds half up; the contract's example cost
        (10, 37188, "0.0744"),  # 37187.5 -> 37188
        (30, 111563, "0.2231"),
        (7, 26031, "0.0521"),  # 26031.25 -> 26031
        (8, 29750, "0.0595"),
    ],
)
def test_prices_follow_the_contract(seconds, quota, usd):
    assert price_quota(seconds) == quota
    assert price_usd(seconds) == Decimal(usd)


def test_every_duration_costs_its_seconds_times_the_unit_price():
    for seconds in range(6, 31):
        exact = Decimal(seconds) * Decimal("0.0074375") * 500_000
        assert abs(price_quota(seconds) - exact) <= Decimal("0.5")
        if exact % 1 == Decimal("0.5"):
            assert price_quota(seconds) == exact + Decimal("0.5")  # half up, never to even


def test_quota_converts_back_to_exact_dollars():
    assert quota_to_usd(500_000) == Decimal(1)
    assert format_usd(quota_to_usd(37188)) == "$0.0744"


def test_frame_sizes_are_even_and_match_their_ratio():
    for (ratio, resolution), (width, height) in GROK_IMAGINE_VIDEO.frame_sizes.items():
        assert width % 2 == 0 and height % 2 == 0
        w, h = (int(x) for x in ratio.split(":"))
        assert abs(width / height - w / h) < 0.01
        assert min(width, height) == GROK_IMAGINE_VIDEO.short_side(resolution)
    assert len(GROK_IMAGINE_VIDEO.frame_sizes) == 10


@pytest.mark.parametrize(
    ("size", "resolution", "expected"),
    [
        ((1000, 1500), "480p", (480, 720)),
        ((1920, 1080), "480p", (854, 480)),
        ((1920, 1080), "720p", (1280, 720)),
        ((3024, 4032), "720p", (720, 960)),
        ((500, 500), "480p", (480, 480)),
        ((100, 2000), "480p", (480, 1120)),  # extreme ratios are held at 21:9
    ],
)
def test_image_to_video_keeps_the_first_images_ratio_on_the_short_side(size, resolution, expected):
    assert image_frame_size(*size, resolution) == expected
