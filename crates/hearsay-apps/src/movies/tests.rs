//! Tests of the movies app.

use hearsay_core::conformance::check_convergence;
use hearsay_core::{
    App, ApplyContext, Arbitration, ClientId, Dot, ReplicaId, UpdateId, VectorTimestamp,
};

use super::*;

fn ctx_apply(app: &mut Movies, update: MovieUpdate, depth: u64, client: u64) {
    let dot = Dot {
        origin: ReplicaId::new("r1").unwrap(),
        seq: 1,
    };
    let id = UpdateId {
        client: ClientId(client),
        seq: 1,
    };
    let prev = VectorTimestamp::new();
    let ctx = ApplyContext {
        id,
        dot: &dot,
        prev: &prev,
        order: Arbitration { depth, id },
    };
    app.apply(&update, &ctx);
}

fn rate(movie: u32, user: u32, halves: u8) -> MovieUpdate {
    MovieUpdate::Rate {
        movie: MovieId(movie),
        user: UserId(user),
        rating: Rating::from_halves(halves).unwrap(),
    }
}

#[test]
fn the_sample_catalog_loads_with_its_ratings() {
    let app = Movies::sample();
    assert_eq!(app.catalog().len(), 42);
    assert_eq!(app.rating_count(), 16);
    let toy = app.catalog().find("toy story").unwrap();
    assert_eq!((toy.year, toy.genres.len()), (Some(1995), 5));
    assert_eq!(
        app.catalog().find("The Shawshank Redemption").unwrap().id,
        MovieId(10)
    );
}

#[test]
fn view_rate_change_delete_and_average() {
    let mut app = Movies::sample();
    let view = |app: &Movies, user| {
        app.query(&MovieQuery::View {
            title: "Toy Story".into(),
            user: UserId(user),
        })
    };
    assert!(
        matches!(view(&app, 1), MovieReply::UserRating { rating: Some(r), .. } if r.halves() == 8)
    );
    assert!(matches!(
        view(&app, 9),
        MovieReply::UserRating { rating: None, .. }
    ));
    ctx_apply(&mut app, rate(1, 9, 3), 1, 9);
    assert!(
        matches!(view(&app, 9), MovieReply::UserRating { rating: Some(r), .. } if r.halves() == 3)
    );
    // Users 1, 2, 3 and 9: 8 + 7 + 10 + 3 half stars.
    match app.query(&MovieQuery::Average {
        title: "TOY STORY".into(),
    }) {
        MovieReply::Average {
            sum_halves, count, ..
        } => {
            assert_eq!((sum_halves, count), (28, 4));
            assert_eq!(MovieReply::average_stars(sum_halves, count), Some(3.5));
        }
        other => panic!("{other:?}"),
    }
    ctx_apply(
        &mut app,
        MovieUpdate::Delete {
            movie: MovieId(1),
            user: UserId(9),
        },
        2,
        9,
    );
    assert!(matches!(
        view(&app, 9),
        MovieReply::UserRating { rating: None, .. }
    ));
}

#[test]
fn a_movie_nobody_rated_has_no_average_and_can_be_rated() {
    let mut app = Movies::sample();
    let avg = app.query(&MovieQuery::Average { title: "Up".into() });
    assert!(matches!(
        avg,
        MovieReply::Average {
            count: 0,
            sum_halves: 0,
            ..
        }
    ));
    assert_eq!(MovieReply::average_stars(0, 0), None);
    ctx_apply(&mut app, rate(39, 1, 10), 1, 1);
    assert!(matches!(
        app.query(&MovieQuery::Average { title: "Up".into() }),
        MovieReply::Average {
            count: 1,
            sum_halves: 10,
            ..
        }
    ));
}

#[test]
fn unknown_titles_get_suggestions() {
    let app = Movies::sample();
    match app.query(&MovieQuery::Find {
        title: "Toy Stroy".into(),
    }) {
        MovieReply::NotFound { suggestions, .. } => {
            assert_eq!(suggestions.len(), 3);
            assert_eq!(suggestions[0], "Toy Story (1995)");
        }
        other => panic!("{other:?}"),
    }
    match app.query(&MovieQuery::Find {
        title: "toy".into(),
    }) {
        MovieReply::NotFound { suggestions, .. } => {
            assert_eq!(
                suggestions,
                [
                    "Toy Story (1995)",
                    "Toy Story 2 (1999)",
                    "Toy Story 3 (2010)"
                ]
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn search_ranks_exact_then_prefix_then_word_then_substring() {
    let app = Movies::sample();
    let titles = |text: &str| match app.query(&MovieQuery::Search {
        text: text.into(),
        limit: 10,
    }) {
        MovieReply::Matches(ms) => ms.into_iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        titles("toy story"),
        [
            "Toy Story (1995)",
            "Toy Story 2 (1999)",
            "Toy Story 3 (2010)"
        ]
    );
    assert_eq!(titles("alien"), ["Alien (1979)", "Aliens (1986)"]);
    assert_eq!(
        titles("heat")[..2],
        ["Heat (1995)".to_string(), "Heat (1986)".to_string()]
    );
    assert!(titles("   ").is_empty());
    assert!(titles("zzzz").is_empty());
}

#[test]
fn a_later_rating_wins_and_a_concurrent_pair_is_decided_by_arbitration() {
    let mut a = Movies::sample();
    let mut b = Movies::sample();
    // Concurrent rates of one movie by one user from two places, applied in
    // opposite orders.
    ctx_apply(&mut a, rate(1, 7, 2), 3, 1);
    ctx_apply(&mut a, rate(1, 7, 9), 3, 2);
    ctx_apply(&mut b, rate(1, 7, 9), 3, 2);
    ctx_apply(&mut b, rate(1, 7, 2), 3, 1);
    assert_eq!(a, b);
}

#[test]
fn concurrent_rates_and_deletes_converge_in_any_order() {
    let mut updates = Vec::new();
    for i in 0..24u32 {
        let movie = 1 + i % 3;
        let user = 1 + i % 2;
        updates.push(if i % 4 == 3 {
            MovieUpdate::Delete {
                movie: MovieId(movie),
                user: UserId(user),
            }
        } else {
            rate(movie, user, (i % 11) as u8)
        });
    }
    for seed in 0..10 {
        if let Err(e) = check_convergence(&Movies::sample(), &updates, 12, seed) {
            panic!("{e}");
        }
    }
}

#[test]
fn out_of_range_ratings_cannot_be_decoded() {
    use serde::Deserialize;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error, U8Deserializer};
    let decode = |halves: u8| {
        let de: U8Deserializer<Error> = halves.into_deserializer();
        Rating::deserialize(de)
    };
    assert_eq!(decode(10).unwrap().halves(), 10);
    assert!(decode(11).is_err());
    assert!(Movies::validate(&rate(1, 1, 10)).is_ok());
}

#[test]
fn the_data_view_shows_live_ratings_as_text() {
    let mut app = Movies::sample();
    let before = app.view_len();
    assert_eq!(app.view().count(), before);
    let key = "Toy Story (1995) · user 9";
    assert!(app.view().all(|(k, _)| k != key));
    ctx_apply(&mut app, rate(1, 9, 7), 1, 9);
    assert_eq!(app.view_len(), before + 1);
    let shown: Vec<_> = app.view().filter(|(k, _)| k == key).collect();
    assert_eq!(shown, vec![(key.to_owned(), "3.5".to_owned())]);
    // A deleted rating leaves the view (its tombstone stays in the state).
    ctx_apply(
        &mut app,
        MovieUpdate::Delete {
            movie: MovieId(1),
            user: UserId(9),
        },
        2,
        9,
    );
    assert_eq!(app.view_len(), before);
    assert!(app.view().all(|(k, _)| k != key));
}

fn cas(movie: u32, user: u32, expected: Option<u8>, halves: u8) -> MovieUpdate {
    MovieUpdate::CompareAndRate {
        movie: MovieId(movie),
        user: UserId(user),
        expected: expected.map(|h| Rating::from_halves(h).unwrap()),
        rating: Rating::from_halves(halves).unwrap(),
    }
}

#[test]
fn compare_and_rate_is_forced_and_decided_on_the_rating_it_finds() {
    use hearsay_core::UpdateClass;
    assert_eq!(Movies::class(&cas(1, 900, None, 6)), UpdateClass::Forced);
    assert_eq!(Movies::class(&rate(1, 900, 6)), UpdateClass::Causal);
    let mut app = Movies::sample();
    // Not rated yet: a CAS from "not rated" is granted, one from 3 is not.
    assert_eq!(app.decide_forced(&cas(1, 900, None, 6)), Ok(()));
    assert_eq!(
        app.decide_forced(&cas(1, 900, Some(6), 8)),
        Err("the rating is not rated, not 3".into())
    );
    ctx_apply(&mut app, cas(1, 900, None, 6), 5, 9);
    assert_eq!(
        app.rating_of(MovieId(1), UserId(900)).map(|r| r.halves()),
        Some(6)
    );
    assert_eq!(app.decide_forced(&cas(1, 900, Some(6), 8)), Ok(()));
    assert_eq!(
        app.decide_forced(&cas(1, 900, None, 8)),
        Err("the rating is 3, not not rated".into())
    );
}

#[test]
fn two_racing_compare_and_rates_from_one_value_cannot_both_win() {
    // The forced order decides each against the state the previous one left.
    let only_one = |a: &Movies| {
        let r = a.rating_of(MovieId(1), UserId(901)).map(|r| r.halves());
        if matches!(r, None | Some(2) | Some(4)) {
            Ok(())
        } else {
            Err(format!("rating {r:?}"))
        }
    };
    let forced = [cas(1, 901, None, 2), cas(1, 901, None, 4)];
    hearsay_core::conformance::check_forced_decisions(&Movies::sample(), &forced, &[], only_one)
        .unwrap();
    let mut app = Movies::sample();
    let first = app.decide_forced(&forced[0]);
    assert_eq!(first, Ok(()));
    ctx_apply(&mut app, forced[0].clone(), 5, 9);
    assert!(app.decide_forced(&forced[1]).is_err(), "the second loses");
}
