"""Sites are boundaries: a coordinator belongs to sites, an admin sees them all."""

from __future__ import annotations

from sqlalchemy import select

from bot.staff_users import add_staff
from handlers.access import can_see, site_filter, visible_site_ids
from handlers.errors import InputError
from storage.models import Site
from tests.harness import Harness


async def test_coordinator_sees_only_their_sites(h: Harness) -> None:
    async with h.session() as session:
        first = await session.scalar(select(Site).order_by(Site.id))
        assert first is not None
        other = Site(name="Bergen", created_at=h.clock.now())
        session.add(other)
        await session.flush()
        coordinator, _ = await add_staff(
            session, h.clock, name="Kari", email="kari@los.test", site_ids=[other.id]
        )
        defaulted, _ = await add_staff(session, h.clock, name="Ola", email="ola@los.test")
        admin, _ = await add_staff(
            session, h.clock, name="Anne", email="anne@los.test", role="admin"
        )
        assert visible_site_ids(coordinator) == {other.id}
        assert visible_site_ids(defaulted) == {first.id}
        assert visible_site_ids(admin) is None
        assert can_see(coordinator, other.id) and not can_see(coordinator, first.id)
        assert not can_see(coordinator, None)
        assert can_see(admin, first.id)
        names = (
            await session.scalars(select(Site.name).where(site_filter(coordinator, Site.id)))
        ).all()
        assert names == ["Bergen"]


async def test_unknown_site_is_refused(h: Harness) -> None:
    async with h.session() as session:
        try:
            await add_staff(session, h.clock, name="Kari", email="k@los.test", site_ids=[999])
        except InputError as exc:
            assert "site" in exc.fields
        else:
            raise AssertionError("an unknown site was accepted")
