//! The rules as a table: who, doing what, to whose application, gets which answer.

use super::*;

fn staff(institution: &str, role: Role) -> Caller {
    Caller::Staff(Staff {
        who: format!("{}-{institution}", role.as_str()),
        institution: Some(institution.to_owned()),
        role,
        offers: vec!["birth".into(), "relocation".into()],
    })
}

fn id(n: u128) -> ApplicationId {
    ApplicationId::from_uuid(uuid::Uuid::from_u128(n))
}

#[test]
fn each_caller_reads_and_corrects_only_what_the_rules_give_them() {
    use Action::{Correct, Read};
    use Refusal::{Forbidden, Hidden, SignIn};
    let admin = Caller::Staff(Staff {
        who: "admin".into(),
        institution: None,
        role: Role::Admin,
        offers: vec![],
    });
    let auditor = Caller::Staff(Staff {
        who: "auditor".into(),
        institution: None,
        role: Role::Auditor,
        offers: vec![],
    });
    // (caller, action, application of A, of B, of citizen X (institution none))
    type Row = (
        Caller,
        Action,
        Result<(), Refusal>,
        Result<(), Refusal>,
        Result<(), Refusal>,
    );
    let table: Vec<Row> = vec![
        (Caller::Nobody, Read, Err(SignIn), Err(SignIn), Err(SignIn)),
        (
            Caller::Nobody,
            Correct,
            Err(SignIn),
            Err(SignIn),
            Err(SignIn),
        ),
        (
            staff("A", Role::Clerk),
            Read,
            Ok(()),
            Err(Hidden),
            Err(Hidden),
        ),
        (
            staff("A", Role::Clerk),
            Correct,
            Err(Forbidden),
            Err(Hidden),
            Err(Hidden),
        ),
        (
            staff("A", Role::Registrar),
            Read,
            Ok(()),
            Err(Hidden),
            Err(Hidden),
        ),
        (
            staff("A", Role::Registrar),
            Correct,
            Ok(()),
            Err(Hidden),
            Err(Hidden),
        ),
        (
            staff("A", Role::Supervisor),
            Correct,
            Ok(()),
            Err(Hidden),
            Err(Hidden),
        ),
        (
            staff("A", Role::Auditor),
            Read,
            Err(Forbidden),
            Err(Forbidden),
            Err(Forbidden),
        ),
        (
            auditor,
            Read,
            Err(Forbidden),
            Err(Forbidden),
            Err(Forbidden),
        ),
        (
            admin.clone(),
            Read,
            Err(Forbidden),
            Err(Forbidden),
            Err(Forbidden),
        ),
        (
            admin,
            Correct,
            Err(Forbidden),
            Err(Forbidden),
            Err(Forbidden),
        ),
        (
            Caller::Citizen(id(3)),
            Read,
            Err(Hidden),
            Err(Hidden),
            Ok(()),
        ),
        (
            Caller::Citizen(id(4)),
            Read,
            Err(Hidden),
            Err(Hidden),
            Err(Hidden),
        ),
        (
            Caller::Citizen(id(3)),
            Correct,
            Err(Forbidden),
            Err(Forbidden),
            Err(Forbidden),
        ),
    ];
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
