variable "name" {
  description = "Prefix of every resource name."
  type        = string
  default     = "copyfleet"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must be 2-21 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "environment" {
  description = "Environment tag (dev, staging, prod)."
  type        = string
  default     = "prod"
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"
}

variable "availability_zones" {
  description = "Three availability zones of the region (RDS Multi-AZ and the ElastiCache replica need two or more)."
  type        = list(string)
  default     = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  validation {
    condition     = length(var.availability_zones) >= 2
    error_message = "availability_zones needs at least two zones."
  }
}

variable "vpc_cidr" {
  description = "CIDR of the VPC; private subnets take the first /20s, public ones the /24s at the top."
  type        = string
  default     = "10.40.0.0/16"
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheaper; a zone outage cuts egress for the others). S3 traffic goes through the gateway endpoint either way."
  type        = bool
  default     = true
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version."
  type        = string
  default     = "1.31"
}

variable "cluster_endpoint_public_access_cidrs" {
  description = "CIDRs allowed to reach the EKS API endpoint publicly; empty makes it private only."
  type        = list(string)
  default     = []
}

variable "node_instance_types" {
  description = "Worker node instance types (workers are CPU-bound while parsing; one worker wants about one vCPU)."
  type        = list(string)
  default     = ["m7i.2xlarge"]
}

variable "node_min_size" {
  description = "Fewest nodes."
  type        = number
  default     = 2
}

variable "node_max_size" {
  description = "Most nodes (KEDA adds workers, cluster autoscaler or Karpenter adds nodes up to this)."
  type        = number
  default     = 10
}

variable "node_desired_size" {
  description = "Nodes at creation (later changes belong to the autoscaler)."
  type        = number
  default     = 2
}

variable "postgres_version" {
  description = "RDS PostgreSQL engine version (major must match postgres_parameter_family)."
  type        = string
  default     = "16.4"
}

variable "postgres_parameter_family" {
  description = "Parameter group family for postgres_version."
  type        = string
  default     = "postgres16"
}

variable "postgres_instance_class" {
  description = "RDS instance class. COPY is bound by WAL and I/O: prefer memory-optimised classes with gp3 throughput."
  type        = string
  default     = "db.r7g.xlarge"
}

variable "postgres_allocated_storage_gb" {
  description = <<-EOT
    Initial storage (GiB). Must hold the largest single load plus its indexes, WAL and the
    compactor's rewrite without waiting for autoscaling: RDS grows storage only when free space
    is under 10% for 5 minutes, and then waits at least 6 hours before the next step, so a load
    that fills the disk faster than one step stops with "disk full" long before autoscaling
    catches up. 200 GiB serves the 10 GB/day landing folder for weeks and a 50 GB backfill.
  EOT
  type        = number
  default     = 200
}

variable "postgres_max_allocated_storage_gb" {
  description = <<-EOT
    Ceiling for storage autoscaling (GiB). Kept ten times the initial size: at 10 GB/day of
    input (about 15-20 GB/day in PostgreSQL with indexes) that is a year of growth in steps,
    while the initial size covers the bursts (see postgres_allocated_storage_gb).
  EOT
  type        = number
  default     = 2000
  validation {
    condition     = var.postgres_max_allocated_storage_gb >= 5 * var.postgres_allocated_storage_gb
    error_message = "postgres_max_allocated_storage_gb should be at least five times the allocated storage: autoscaling steps are 6 hours apart."
  }
}

variable "postgres_multi_az" {
  description = "RDS Multi-AZ standby."
  type        = bool
  default     = true
}

variable "redis_node_type" {
  description = "ElastiCache node type. BullMQ holds one small job per chunk: memory is rarely the limit."
  type        = string
  default     = "cache.r7g.large"
}

variable "redis_auth_token" {
  description = "AUTH token of the Redis replication group (16-128 printable characters, no @, \" or /). Pass it from a secret store (TF_VAR_redis_auth_token); it ends up in the state, so encrypt the state."
  type        = string
  sensitive   = true
  validation {
    condition     = length(var.redis_auth_token) >= 16 && length(var.redis_auth_token) <= 128 && !can(regex("[@\"/ ]", var.redis_auth_token))
    error_message = "redis_auth_token must be 16-128 characters without @, \", / or spaces."
  }
}

variable "landing_bucket_name" {
  description = "Name of the S3 landing bucket copyfleet loads from (globally unique)."
  type        = string
}

variable "landing_retention_days" {
  description = "Days a landed file is kept before it expires (it is in PostgreSQL by then; copyfleet.files remembers its version)."
  type        = number
  default     = 30
}

variable "kubernetes_namespace" {
  description = "Namespace the chart is installed into (the Pod Identity associations name its ServiceAccounts)."
  type        = string
  default     = "copyfleet"
}

variable "release_name" {
  description = "Helm release name (the chart names ServiceAccounts <release>-<component>, or copyfleet-<component> when the release is copyfleet)."
  type        = string
  default     = "copyfleet"
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
