# Offline plan against a mocked aws provider (no AWS account): asserts the settings copyfleet's
# guarantees depend on. override_during = plan gives computed attributes (ARNs, ids) mock values
# at plan time, so no apply/destroy is needed; the assertions compare configuration, not AWS
# behaviour.
mock_provider "aws" {
  override_during = plan
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  # ARNs the provider checks where they are passed on (random mock strings are not ARNs).
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-west-1:123456789012:key/mock" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::copyfleet-landing-test" }
  }
  mock_resource "aws_eks_cluster" {
    defaults = { arn = "arn:aws:eks:eu-west-1:123456789012:cluster/copyfleet" }
  }
}

variables {
  landing_bucket_name = "copyfleet-landing-test"
  redis_auth_token    = "0123456789abcdef0123"
}

# One run holds every assertion: each run block starts the aws provider again (seconds each).
run "copyfleet_environment" {
  command = plan

  # redis keeps bullmq jobs
  assert {
    condition     = anytrue([for p in aws_elasticache_parameter_group.redis.parameter : p.name == "maxmemory-policy" && p.value == "noeviction"])
    error_message = "Redis must run with maxmemory-policy noeviction (volatile-lru loses BullMQ jobs)."
  }
  assert {
    condition     = aws_elasticache_replication_group.redis.parameter_group_name == aws_elasticache_parameter_group.redis.name
    error_message = "The replication group must use the noeviction parameter group."
  }
  assert {
    condition     = aws_elasticache_replication_group.redis.automatic_failover_enabled && aws_elasticache_replication_group.redis.multi_az_enabled && aws_elasticache_replication_group.redis.num_cache_clusters >= 2
    error_message = "ElastiCache has no AOF: Multi-AZ with automatic failover and a replica is required."
  }
  assert {
    condition     = aws_elasticache_replication_group.redis.transit_encryption_enabled && aws_elasticache_replication_group.redis.at_rest_encryption_enabled
    error_message = "Redis must be encrypted in transit and at rest."
  }

  # postgres encrypted private with headroom

  assert {
    condition     = aws_db_instance.postgres.storage_encrypted
    error_message = "RDS storage must be encrypted."
  }
  assert {
    condition     = !aws_db_instance.postgres.publicly_accessible && aws_db_instance.postgres.manage_master_user_password
    error_message = "RDS must be private, with its password managed in Secrets Manager."
  }
  assert {
    condition     = aws_db_instance.postgres.max_allocated_storage >= 5 * aws_db_instance.postgres.allocated_storage
    error_message = "Storage autoscaling needs headroom: steps are at least 6 hours apart."
  }
  assert {
    condition = alltrue([for name in ["wal_buffers", "max_connections"] :
    anytrue([for p in aws_db_parameter_group.postgres.parameter : p.name == name && p.apply_method == "pending-reboot"])])
    error_message = "Static parameters must use apply_method pending-reboot."
  }
  assert {
    condition = alltrue([for name in ["max_wal_size", "checkpoint_timeout", "maintenance_work_mem", "tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count", "idle_in_transaction_session_timeout"] :
    anytrue([for p in aws_db_parameter_group.postgres.parameter : p.name == name])])
    error_message = "The bulk-load and dead-connection parameters must be set."
  }
  assert {
    # copyfleet's PG_DEAD_PEER_MS (30 s): a silent client is dropped within it (RELIABILITY.md, "Network faults").
    condition = (
      sum([for p in aws_db_parameter_group.postgres.parameter : tonumber(p.value) if p.name == "tcp_keepalives_idle"]) +
      sum([for p in aws_db_parameter_group.postgres.parameter : tonumber(p.value) if p.name == "tcp_keepalives_interval"]) *
      sum([for p in aws_db_parameter_group.postgres.parameter : tonumber(p.value) if p.name == "tcp_keepalives_count"]) <= 30 &&
      sum([for p in aws_db_parameter_group.postgres.parameter : tonumber(p.value) if p.name == "tcp_user_timeout"]) <= 30000 &&
      sum([for p in aws_db_parameter_group.postgres.parameter : tonumber(p.value) if p.name == "tcp_user_timeout"]) > 0
    )
    error_message = "Keepalive probes and tcp_user_timeout must drop a silent client within 30 s (PG_DEAD_PEER_MS)."
  }
  assert {
    condition     = aws_db_instance.postgres.parameter_group_name == aws_db_parameter_group.postgres.name
    error_message = "RDS must use the bulk-load parameter group."
  }

  # landing bucket not public

  assert {
    condition = (aws_s3_bucket_public_access_block.landing.block_public_acls && aws_s3_bucket_public_access_block.landing.block_public_policy
    && aws_s3_bucket_public_access_block.landing.ignore_public_acls && aws_s3_bucket_public_access_block.landing.restrict_public_buckets)
    error_message = "The landing bucket must block every kind of public access."
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.landing.bucket == aws_s3_bucket.landing.id && aws_s3_bucket_server_side_encryption_configuration.landing.bucket == aws_s3_bucket.landing.id
    error_message = "Public access block and encryption must apply to the landing bucket."
  }
  assert {
    condition     = one([for r in aws_s3_bucket_lifecycle_configuration.landing.rule : r.expiration[0].days]) == 30
    error_message = "Landed files must expire."
  }

  # worker role reads only the landing bucket

  assert {
    condition = alltrue(flatten([for s in jsondecode(aws_iam_role_policy.s3_reader.policy).Statement :
    [for r in s.Resource : r == aws_s3_bucket.landing.arn || r == "${aws_s3_bucket.landing.arn}/*"]]))
    error_message = "The pods' role may name only the landing bucket and its objects."
  }
  assert {
    condition = alltrue(flatten([for s in jsondecode(aws_iam_role_policy.s3_reader.policy).Statement :
    [for a in s.Action : contains(["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:GetBucketLocation"], a)]]))
    error_message = "The pods' role may only read (no Put, Delete or wildcard actions)."
  }
  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.s3_reader.policy).Statement : s.Effect == "Allow"]) && length(jsondecode(aws_iam_role_policy.s3_reader.policy).Statement) == 2
    error_message = "Exactly the two read statements."
  }
  assert {
    condition     = jsondecode(aws_iam_role.s3_reader.assume_role_policy).Statement[0].Principal.Service == "pods.eks.amazonaws.com"
    error_message = "The role is assumed through EKS Pod Identity only."
  }
  assert {
    condition     = toset([for a in aws_eks_pod_identity_association.s3_reader : a.service_account]) == toset(["copyfleet-worker", "copyfleet-splitter", "copyfleet-load"])
    error_message = "Pod Identity must bind the chart's worker, splitter and load ServiceAccounts."
  }
}

run "short_storage_headroom_is_refused" {
  command = plan
  variables {
    postgres_max_allocated_storage_gb = 300
  }
  expect_failures = [var.postgres_max_allocated_storage_gb]
}
