// One scenario at a time: each starts its own cluster, SMTP server and service processes, and on 2 cores two
// scenarios at once would measure each other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
