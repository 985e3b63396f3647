//! The demo is part of the test suite: it fails if any step does not behave as narrated.
#[tokio::test]
async fn demo_story_runs_as_narrated() {
    demo::run().await.unwrap();
}
