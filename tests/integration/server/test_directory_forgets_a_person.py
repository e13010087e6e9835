"""After an erasure the directory reads a person's names as the log now reads them, at
once and without folding the log again: it answers exactly as a directory folded from the
start of the log would (names in every trial, the inviter of pending invitations, and
the invitations addressed to the erased username)."""

from __future__ import annotations

from domain.personal_data import ERASED, user_subject, username_subject
from server.commands.directory import Directory
from server.demo import DEMO_TRIAL, DRAFT_TRIAL, DemoPerson, load_draft_trial
from server.services import Services
from tests.integration.server.test_projection_snapshots import caught_up, invite


async def test_a_directory_that_forgot_a_person_answers_as_a_fold_of_the_log(
    services: Services, demo: dict[str, DemoPerson]
) -> None:
    await load_draft_trial(services, list(demo.values()))
    alex, sam = demo["alex"], demo["sam"]
    await invite(services, demo, "zed")  # invited by alex, and never answered
    await invite(services, demo, "yan")
    folded_before: Directory = await caught_up(services, None)
    assert [i.invited_by_name for i in folded_before.invitations_of("zed")] == ["Alex Morgan"]

    subjects = [user_subject(alex.user_id), username_subject("zed")]
    await services.store.personal_data.erase(subjects)
    services.store.forget_recent()
    folded_before.forget_person(alex.user_id, subjects)
    folded_after = await caught_up(services, None)

    for trial in (DEMO_TRIAL, DRAFT_TRIAL):
        entry = folded_before.trial(trial)
        assert entry == folded_after.trial(trial)
        assert entry is not None
        assert entry.names[alex.user_id] == ERASED
    demo_trial = folded_before.trial(DEMO_TRIAL)
    assert demo_trial is not None
    assert demo_trial.names[sam.user_id] == "Samira Reyes"  # only Alex's names
    for person in demo.values():
        assert folded_before.trials_of(person.user_id) == folded_after.trials_of(person.user_id)
    for username in ("zed", "yan", ERASED):
        assert folded_before.invitations_of(username) == folded_after.invitations_of(username)
    assert folded_before.invitations_of("zed") == []
    [filed] = folded_before.invitations_of(ERASED)
    assert (filed.invitation_id, filed.invited_by_name) == ("invite-zed", ERASED)
    [yan] = folded_before.invitations_of("yan")
    assert yan.invited_by_name == ERASED
