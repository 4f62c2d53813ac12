# RDS PostgreSQL for the tables and copyfleet's ledger (terraform-aws-modules/rds layout).
# Encrypted, private, storage autoscaling with headroom (variables.tf says why), and a
# parameter group for bulk COPY with bounds on dead connections.
resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_security_group" "postgres" {
  name        = "${var.name}-postgres"
  description = "PostgreSQL from the EKS cluster only"
  vpc_id      = aws_vpc.this.id
}

resource "aws_vpc_security_group_ingress_rule" "postgres_from_cluster" {
  security_group_id            = aws_security_group.postgres.id
  referenced_security_group_id = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  description                  = "copyfleet pods (EKS cluster security group)"
}

resource "aws_db_parameter_group" "postgres" {
  name        = "${var.name}-bulk-load"
  family      = var.postgres_parameter_family
  description = "copyfleet: bulk COPY, bounded dead connections"

  # Bulk load: fewer, larger checkpoints while many workers COPY at once.
  parameter {
    name  = "max_wal_size"
    value = "16384" # MB
  }
  parameter {
    name  = "checkpoint_timeout"
    value = "900" # s
  }
  parameter {
    name  = "maintenance_work_mem"
    value = "2097152" # KB: index builds and the compactor's ANALYZE
  }
  # Static parameters only change on a reboot: say so, or every apply fails to modify them.
  parameter {
    name         = "wal_buffers"
    value        = "8192" # 8 kB pages = 64 MB
    apply_method = "pending-reboot"
  }
  parameter {
    name         = "max_connections"
    value        = "400" # workers x PG_POOL_MAX + the other processes + KEDA
    apply_method = "pending-reboot"
  }
  # Dead-connection bounds (RELIABILITY.md, "Network faults"): a worker partitioned away or
  # gone mid-chunk holds its transaction (and its row lock on the ledger) until PostgreSQL
  # notices. copyfleet sets the same bounds on each of its sessions (libs/db/src/pool.ts: keepalive
  # after 5 s idle, 4 probes 6 s apart, tcp_user_timeout 29 s — PG_DEAD_PEER_MS 30 s); here they are
  # the server's defaults too, for every client. The workers' idle-in-transaction and statement
  # timeouts are per session (a compaction may run long); the server-wide 10 minutes only bound
  # other clients.
  parameter {
    name  = "tcp_keepalives_idle"
    value = "5"
  }
  parameter {
    name  = "tcp_keepalives_interval"
    value = "6"
  }
  parameter {
    name  = "tcp_keepalives_count"
    value = "4"
  }
  parameter {
    name  = "tcp_user_timeout"
    value = "29000" # ms: data sent and not acknowledged for this long ends the connection
  }
  parameter {
    name  = "idle_in_transaction_session_timeout"
    value = "600000" # ms
  }
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
}

resource "aws_db_instance" "postgres" {
  identifier     = var.name
  engine         = "postgres"
  engine_version = var.postgres_version
  instance_class = var.postgres_instance_class

  allocated_storage     = var.postgres_allocated_storage_gb
  max_allocated_storage = var.postgres_max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true

  db_name  = "copyfleet"
  username = "copyfleet"
  # The password lives in Secrets Manager, rotated by RDS; never in variables or outputs.
  manage_master_user_password = true

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.postgres.id]
  publicly_accessible    = false
  multi_az               = var.postgres_multi_az
  parameter_group_name   = aws_db_parameter_group.postgres.name

  backup_retention_period      = 7
  deletion_protection          = true
  skip_final_snapshot          = false
  final_snapshot_identifier    = "${var.name}-final"
  copy_tags_to_snapshot        = true
  performance_insights_enabled = true
  auto_minor_version_upgrade   = true
  apply_immediately            = false
}
