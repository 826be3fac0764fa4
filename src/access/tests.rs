//! The rules as a table: who, doing what, to whose application, gets which answer.

use super::*;

fn staff(institution: &str, role: Role) -> Caller {
    Caller::Staff(Staff {
        who: format!("{}-{institution}", role.as_str()),
        institution: Some(institution.to_owned()),
        role,
        offers: vec!["birth".into(), "relocation".into()],
        one_time_password: false,
    })
}

fn id(n: u128) -> ApplicationId {
    ApplicationId::from_uuid(uuid::Uuid::from_u128(n))
}

fn nobody_in_particular(role: Role) -> Caller {
    Caller::Staff(Staff {
        who: role.as_str().into(),
        institution: None,
        role,
        offers: vec![],
        one_time_password: false,
    })
}

/// (caller, action, answer on an application of A, of B, of citizen X (no institution))
type Row = (Caller, Action, Answer, Answer, Answer);
type Answer = Result<(), Refusal>;

fn check(table: Vec<Row>) {
    for (caller, action, a, b, x) in table {
        assert_eq!(
            may(&caller, action, &id(1), Some("A")),
            a,
            "{caller:?} {action:?} A"
        );
        assert_eq!(
            may(&caller, action, &id(2), Some("B")),
            b,
            "{caller:?} {action:?} B"
        );
        assert_eq!(
            may(&caller, action, &id(3), None),
            x,
            "{caller:?} {action:?} X"
        );
    }
}

#[test]
#[rustfmt::skip]
fn each_caller_reads_only_their_institutions_or_their_own_application() {
    use Action::Read;
    use Refusal::{Forbidden as Forb, Hidden, SignIn};
    let (auditor, admin) = (nobody_in_particular(Role::Auditor), nobody_in_particular(Role::Admin));
    check(vec![
        (Caller::Nobody,              Read, Err(SignIn), Err(SignIn), Err(SignIn)),
        (staff("A", Role::Clerk),     Read, Ok(()),      Err(Hidden), Err(Hidden)),
        (staff("A", Role::Registrar), Read, Ok(()),      Err(Hidden), Err(Hidden)),
        (staff("A", Role::Supervisor),Read, Ok(()),      Err(Hidden), Err(Hidden)),
        (staff("A", Role::Auditor),   Read, Err(Forb),   Err(Forb),   Err(Forb)),
        (auditor,                     Read, Err(Forb),   Err(Forb),   Err(Forb)),
        (admin,                       Read, Err(Forb),   Err(Forb),   Err(Forb)),
        (Caller::Citizen(id(3)),      Read, Err(Hidden), Err(Hidden), Ok(())),
        (Caller::Citizen(id(4)),      Read, Err(Hidden), Err(Hidden), Err(Hidden)),
    ]);
}

#[test]
#[rustfmt::skip]
fn only_registrars_and_supervisors_correct_and_only_at_their_institution() {
    use Action::Correct as Fix;
    use Refusal::{Forbidden as Forb, Hidden, SignIn};
    check(vec![
        (Caller::Nobody,                    Fix, Err(SignIn), Err(SignIn), Err(SignIn)),
        (staff("A", Role::Clerk),           Fix, Err(Forb),   Err(Hidden), Err(Hidden)),
        (staff("A", Role::Registrar),       Fix, Ok(()),      Err(Hidden), Err(Hidden)),
        (staff("A", Role::Supervisor),      Fix, Ok(()),      Err(Hidden), Err(Hidden)),
        (nobody_in_particular(Role::Admin), Fix, Err(Forb),   Err(Forb),   Err(Forb)),
        (Caller::Citizen(id(3)),            Fix, Err(Forb),   Err(Forb),   Err(Forb)),
    ]);
}

#[test]
fn staff_submit_what_their_institution_offers_and_citizens_only_public_bundles() {
    let clerk = staff("A", Role::Clerk);
    let submitter = Submitter::Staff {
        who: "clerk-A".into(),
        institution: "A".into(),
    };
    assert_eq!(may_submit(&clerk, "birth", false), Ok(submitter));
    assert_eq!(
        may_submit(&clerk, "business-start", true),
        Err(Refusal::Forbidden)
    );
    let auditor = staff("A", Role::Auditor);
    assert_eq!(
        may_submit(&auditor, "birth", false),
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        may_submit(&Caller::Nobody, "birth", false),
        Err(Refusal::SignIn)
    );
    assert_eq!(
        may_submit(&Caller::Nobody, "relocation", true),
        Ok(Submitter::Citizen)
    );
    let citizen = Caller::Citizen(id(9));
    assert_eq!(
        may_submit(&citizen, "relocation", true),
        Ok(Submitter::Citizen)
    );
}

#[test]
fn a_role_is_read_from_its_name_and_nothing_else() {
    for role in Role::ALL {
        assert_eq!(Role::parse(role.as_str()), Some(role));
    }
    assert_eq!(Role::parse("Clerk"), None);
    assert_eq!(Role::parse("root"), None);
}

#[test]
fn an_admin_adds_anyone_and_a_supervisor_only_clerks_and_registrars_of_their_own() {
    let supervisor = staff("A", Role::Supervisor);
    let own = Ok(Some("A".to_owned()));
    assert_eq!(may_add_staff(&supervisor, Role::Clerk, None), own);
    assert_eq!(may_add_staff(&supervisor, Role::Registrar, Some("A")), own);
    assert_eq!(
        may_add_staff(&supervisor, Role::Clerk, Some("B")),
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        may_add_staff(&supervisor, Role::Supervisor, None),
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        may_add_staff(&supervisor, Role::Admin, None),
        Err(Refusal::Forbidden)
    );
    let admin = nobody_in_particular(Role::Admin);
    assert_eq!(
        may_add_staff(&admin, Role::Supervisor, Some("B")),
        Ok(Some("B".into()))
    );
    assert_eq!(
        may_add_staff(&staff("A", Role::Registrar), Role::Clerk, None),
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        may_add_staff(&Caller::Nobody, Role::Clerk, None),
        Err(Refusal::SignIn)
    );
    assert_eq!(
        may_add_staff(&Caller::Citizen(id(1)), Role::Clerk, None),
        Err(Refusal::Forbidden)
    );
}

#[test]
fn a_supervisor_disables_their_own_clerks_an_admin_anyone_else_and_nobody_themselves() {
    let supervisor = staff("A", Role::Supervisor);
    let disable = |caller: &Caller, login: &str, role: Role, at: Option<&str>| {
        may_disable_staff(caller, login, role, at)
    };
    assert_eq!(
        disable(&supervisor, "olena", Role::Clerk, Some("A")),
        Ok(())
    );
    assert_eq!(
        disable(&supervisor, "ivan", Role::Registrar, Some("A")),
        Ok(())
    );
    assert_eq!(
        disable(&supervisor, "petro", Role::Supervisor, Some("A")),
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        disable(&supervisor, "taras", Role::Clerk, Some("B")),
        Err(Refusal::Hidden),
        "another institution's account is not even there"
    );
    assert_eq!(
        disable(&supervisor, "root", Role::Admin, None),
        Err(Refusal::Hidden)
    );
    let admin = nobody_in_particular(Role::Admin);
    assert_eq!(
        disable(&admin, "petro", Role::Supervisor, Some("B")),
        Ok(())
    );
    assert_eq!(
        disable(&admin, "admin", Role::Admin, None),
        Err(Refusal::Forbidden),
        "not their own account"
    );
    let clerk = staff("A", Role::Clerk);
    assert_eq!(
        disable(&clerk, "olena", Role::Clerk, Some("A")),
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        disable(&Caller::Nobody, "olena", Role::Clerk, Some("A")),
        Err(Refusal::SignIn)
    );
}

#[test]
fn auditors_and_supervisors_read_the_trail_of_what_they_answer_for() {
    let everything = nobody_in_particular(Role::Auditor);
    assert_eq!(may_read_audit(&everything), Ok(None));
    assert_eq!(
        may_read_audit(&staff("A", Role::Auditor)),
        Ok(Some("A".into()))
    );
    assert_eq!(
        may_read_audit(&staff("A", Role::Supervisor)),
        Ok(Some("A".into()))
    );
    for role in [Role::Clerk, Role::Registrar] {
        assert_eq!(may_read_audit(&staff("A", role)), Err(Refusal::Forbidden));
    }
    let admin = nobody_in_particular(Role::Admin);
    assert_eq!(may_read_audit(&admin), Err(Refusal::Forbidden));
    assert_eq!(
        may_read_audit(&Caller::Citizen(id(1))),
        Err(Refusal::Forbidden)
    );
    assert_eq!(may_read_audit(&Caller::Nobody), Err(Refusal::SignIn));
}

#[test]
fn only_an_auditor_opens_an_application_and_a_bound_one_only_their_institutions() {
    let everything = nobody_in_particular(Role::Auditor);
    assert_eq!(may(&everything, Action::Open, &id(1), Some("B")), Ok(()));
    assert_eq!(may(&everything, Action::Open, &id(1), None), Ok(()));
    let bound = staff("A", Role::Auditor);
    assert_eq!(may(&bound, Action::Open, &id(1), Some("A")), Ok(()));
    assert_eq!(
        may(&bound, Action::Open, &id(1), Some("B")),
        Err(Refusal::Hidden)
    );
    assert_eq!(
        may(
            &staff("A", Role::Registrar),
            Action::Open,
            &id(1),
            Some("A")
        ),
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        may(&Caller::Citizen(id(1)), Action::Open, &id(1), None),
        Err(Refusal::Forbidden)
    );
}
