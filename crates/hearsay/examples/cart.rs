//! A shopping cart replicated by three replicas and a front end over QUIC,
//! all in this process: `cargo run --release --example cart`.
//!
//! The cart itself (an `App`) is in `shared/cart.rs`.

#[path = "shared/cart.rs"]
mod cart;

use cart::{Cart, CartQuery, CartReply, CartUpdate};
use hearsay::{Client, ClientId, FrontendNode, NodeCredentials, ReplicaNode, SessionClient, certs};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Every node proves its name with a certificate of the cluster's CA.
    let dir = tempfile::tempdir()?;
    let names = ["r1", "r2", "r3", "fe", "client"];
    certs::init(dir.path(), &names, certs::Existing::Overwrite)?;

    // Three replicas on ports the system picks; then each learns where the
    // others listen.
    let mut replicas = Vec::new();
    for name in &names[..3] {
        let mut node = ReplicaNode::builder(Cart::default())
            .name(*name)
            .certs_dir(dir.path());
        for peer in names[..3].iter().filter(|p| *p != name) {
            node = node.member(*peer);
        }
        replicas.push(node.spawn().await?);
    }
    ReplicaNode::introduce(&replicas);

    // A front end routing to all three.
    let mut fe = FrontendNode::<Cart>::builder()
        .name("fe")
        .certs_dir(dir.path());
    for r in &replicas {
        fe = fe.replica(r.name().as_str(), r.addr());
    }
    let fe = fe.spawn().await?;

    // A client session: its writes, then a read that sees them.
    let creds = NodeCredentials::load(dir.path(), "client")?;
    let client = Client::connect(&creds, fe.addr(), "fe")?;
    let mut alice = SessionClient::<Cart>::new(client, ClientId(1));
    alice
        .update(CartUpdate::Add {
            item: "apples".into(),
            qty: 3,
        })
        .await?;
    alice
        .update(CartUpdate::Add {
            item: "pears".into(),
            qty: 2,
        })
        .await?;
    alice
        .update(CartUpdate::Remove {
            item: "apples".into(),
            qty: 1,
        })
        .await?;
    let contents = alice.query(CartQuery::Contents).await?;
    println!("alice's cart: {contents:?} (context {:?})", alice.prev());
    let CartReply::Contents(items) = contents else {
        return Err("the cart answered something else".into());
    };
    assert_eq!(items.get("apples"), Some(&2));
    assert_eq!(items.get("pears"), Some(&2));

    // A bad update is refused by the app's validate, and changes nothing.
    let refused = alice
        .update(CartUpdate::Add {
            item: "".into(),
            qty: 1,
        })
        .await;
    println!(
        "an empty item name: {}",
        refused.err().ok_or("it was accepted")?
    );

    fe.shutdown().await;
    for r in replicas {
        r.shutdown().await;
    }
    println!("done");
    Ok(())
}
