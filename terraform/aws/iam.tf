# EKS Pod Identity: the copyfleet pods that read input (workers read their chunk's byte range,
# the splitter plans, the scheduled `load` lists the prefix) assume one role that may read the
# landing bucket and nothing else. No access keys exist anywhere.
locals {
  # ServiceAccount names the chart gives its components (charts/copyfleet/templates/_helpers.tpl).
  sa_prefix          = var.release_name == "copyfleet" || strcontains(var.release_name, "copyfleet") ? var.release_name : "${var.release_name}-copyfleet"
  s3_reading_service = ["worker", "splitter", "load"]
}

data "aws_caller_identity" "current" {}

resource "aws_iam_role" "s3_reader" {
  name = "${var.name}-s3-reader"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "pods.eks.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
}

resource "aws_iam_role_policy" "s3_reader" {
  name = "landing-read-only"
  role = aws_iam_role.s3_reader.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ListLanding"
        Effect   = "Allow"
        Action   = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource = [aws_s3_bucket.landing.arn]
      },
      {
        Sid      = "ReadLanding"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:GetObjectVersion"]
        Resource = ["${aws_s3_bucket.landing.arn}/*"]
      },
    ]
  })
}

resource "aws_eks_pod_identity_association" "s3_reader" {
  for_each        = toset(local.s3_reading_service)
  cluster_name    = aws_eks_cluster.this.name
  namespace       = var.kubernetes_namespace
  service_account = "${local.sa_prefix}-${each.value}"
  role_arn        = aws_iam_role.s3_reader.arn
}
