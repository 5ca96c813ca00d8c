# The three buckets the application names with Settings.bucket(): ablage-original-docs-<env>,
# ablage-processed-docs-<env>, ablage-thumbnails-<env>. Retention is the application's: originals 90 days,
# results 30, thumbnails 7 (shared/ablage/storage/retention.py keeps the same periods on local disk).
locals {
  buckets = {
    originals = {
      name           = "ablage-original-docs-${var.environment}"
      retention_days = 90
      # Originals are what cannot be recomputed: versioned, and cheaper storage once they are rarely read.
      versioned = true
    }
    processed = {
      name           = "ablage-processed-docs-${var.environment}"
      retention_days = 30
      versioned      = false
    }
    thumbnails = {
      name           = "ablage-thumbnails-${var.environment}"
      retention_days = 7
      versioned      = false
    }
  }
  # After 30 days an original is rarely read: STANDARD_IA halves its price for the remaining 60 days and its
  # 30-day minimum is met. Glacier would bill its 90-day minimum for objects deleted 60 days later, costing more
  # than it saves, and make reads slow.
  infrequent_access_after_days = 30
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:the buckets hold 7 to 90 days of re-uploadable documents; a second region is not worth its cost
  #checkov:skip=CKV_AWS_18:access is audited through CloudTrail data events of the account, not per-bucket logs
  #checkov:skip=CKV2_AWS_62:nothing consumes bucket events; the database is the record of every object
  #checkov:skip=CKV_AWS_21:versioning is set per area below: on for originals, off for results and thumbnails, which are recomputed from the original
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES256) is what the application requests on every object (S3_SSE); a KMS key adds per-request cost only
  for_each = local.buckets
  bucket   = each.value.name

  tags = {
    Name      = each.value.name
    Retention = "${each.value.retention_days}-days"
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets
  bucket   = aws_s3_bucket.this[each.key].id

  versioning_configuration {
    status = each.value.versioned ? "Enabled" : "Suspended"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets
  bucket   = aws_s3_bucket.this[each.key].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = local.buckets
  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = local.buckets
  bucket   = aws_s3_bucket.this[each.key].id

  rule {
    id     = "expire-after-${each.value.retention_days}-days"
    status = "Enabled"

    # An empty filter applies the rule to every object; provider 5.x needs it stated.
    filter {}

    expiration {
      days = each.value.retention_days
    }

    # In a versioned bucket expiry only adds a delete marker; the old version must go too.
    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }

    dynamic "transition" {
      for_each = each.value.retention_days > 2 * local.infrequent_access_after_days ? [1] : []
      content {
        days          = local.infrequent_access_after_days
        storage_class = "STANDARD_IA"
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}
