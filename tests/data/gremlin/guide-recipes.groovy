// Find all paths from bronze to model
g.V().has('Dataset', 'layer', 'bronze')
  .repeat(bothE().otherV().simplePath())
  .until(hasLabel('Model'))
  .path()
  .limit(10)

// Find datasets with no consumers (orphaned data)
g.V().hasLabel('Dataset')
  .not(in('TRAINED_ON'))
  .not(in('GENERATED_BY'))
  .values('dataset_id')

// Find models without reproducible lineage (no snapshots)
g.V().hasLabel('Model')
  .out('TRAINED_ON')
  .has('version', null)
  .in('TRAINED_ON')
  .dedup()
  .values('model_name')

// Slow queries: check the Gremlin query plan
g.V().has('Dataset', 'dataset_id', 'gold/customers')
  .out('DERIVED_FROM')
  .profile()  # Shows execution plan
