//! The composition's own checks: vote-extension envelopes and ambiguous compositions.

use super::*;
use crate::store::MemStore;
use glia_proto::abci::v1::{BeaconShare, VoteExtensionPart};

fn app() -> Components {
    AppBuilder::new()
        .with(crate::beacon::component::Beacon)
        .with(crate::inference::component::Inference::default())
        .with(crate::neuro::component::Neuro::default())
        .build()
        .unwrap()
}

fn part(component: &str, data: Vec<u8>) -> VoteExtensionPart {
    VoteExtensionPart {
        component: component.into(),
        data,
    }
}

/// VerifyVoteExtension takes an envelope of known parts, each once and each accepted by
/// its component, and refuses anything else with the reason.
#[test]
fn attack_vote_extensions_are_envelopes_of_known_parts() {
    let app = app();
    let store = MemStore::default();
    let kv = &mut ReadOnly(&store);
    let share = |n: usize| BeaconShare { value: vec![7; n] }.encode_to_vec();
    let results = glia_proto::inference::v1::VoteExtension::default().encode_to_vec();
    let envelope = |parts| VoteExtension { parts }.encode_to_vec();
    let ok = envelope(vec![
        part("beacon", share(32)),
        part("inference", results.clone()),
    ]);
    app.verify_vote_extension(&ok, kv).unwrap();
    app.verify_vote_extension(&envelope(vec![]), kv).unwrap();
    let mut refused = |bytes: Vec<u8>| app.verify_vote_extension(&bytes, kv).unwrap_err().log;
    assert!(refused(envelope(vec![part("beacon", share(31))])).contains("31 bytes, not 32"));
    assert!(refused(envelope(vec![part("neuro", vec![])])).contains("extends no votes"));
    assert!(refused(envelope(vec![part("bank", vec![])])).contains("extends no votes"));
    let twice = envelope(vec![part("beacon", share(32)), part("beacon", share(32))]);
    assert!(refused(twice).contains("two \"beacon\" parts"));
    assert!(refused(vec![0xff; 8]).contains("does not decode"));
    let huge = envelope(vec![part("inference", vec![0; 1 << 20])]);
    assert!(refused(huge).contains("exceeds"));
    // Each component sees only its own part.
    let block = BlockContext {
        vote_extensions: vec![("AB".into(), ok)],
        ..Default::default()
    };
    assert_eq!(
        block.vote_extension_parts("beacon"),
        vec![("AB".to_string(), share(32))]
    );
    assert!(block.vote_extension_parts("neuro").is_empty());
}

/// A composition with two components of one name, or two handlers of one message, is the
/// app's mistake and is refused at build time.
#[test]
fn the_builder_refuses_an_ambiguous_composition() {
    let e = AppBuilder::new()
        .with(crate::neuro::component::Neuro::default())
        .with(crate::neuro::component::Neuro::default())
        .build()
        .err()
        .unwrap();
    assert!(e.contains("two components are named \"neuro\""), "{e}");
    let e = AppBuilder::new()
        .with(crate::neuro::component::Neuro::default())
        .begin_order(&["nobody"])
        .build()
        .err()
        .unwrap();
    assert!(e.contains("no component named \"nobody\""), "{e}");
}
