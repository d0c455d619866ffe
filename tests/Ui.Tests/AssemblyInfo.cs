// Each test class starts its own host (Kestrel, job workers, a PDF Chromium) and drives a Playwright Chromium. On the
// 2-core machines these tests run on, three such classes at once starved each other (a 90 s action timeout was hit
// once in a full run); one class at a time keeps every step far from its timeout.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
