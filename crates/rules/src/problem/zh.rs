//! Every problem's message in zh-CN ([`Problem::message`]).

use super::*;

impl Problem {
    pub(super) fn message_zh(&self, path: &str) -> String {
        use Problem::*;
        match self {
            BodyEmpty => "请求体为空：请发送一个至少包含 ids 和 update_fields 的 JSON 对象。".into(),
            BodyTooLarge => format!(
                "请求体超过 1 MiB 的上限：请减少每次提交的 id 数量（每次最多 {MAX_IDS} 个）。"
            ),
            InvalidUtf8 { line, column } => {
                format!("请求体不是合法的 UTF-8 文本：第 {line} 行第 {column} 列处有无效字节。")
            }
            InvalidJson {
                line,
                column,
                reason,
            } => {
                let subject = if path == "body" {
                    "请求体".to_string()
                } else {
                    format!("{path} 的值")
                };
                let reason = json_reason_zh(*reason);
                format!("{subject}不是合法的 JSON：第 {line} 行第 {column} 列，{reason}。")
            }
            NotObject { value } => {
                format!("请求体必须是 JSON 对象（{{ ... }}），而收到的是 {value}。")
            }
            DuplicateKey { key } => format!("字段 {key} 重复出现：请只保留一个。"),
            UnknownField { key } => {
                format!("未知字段 {key}：可用的字段有 {}。", valid_keys())
            }
            IdsMissing => format!("缺少 ids：请填写要修改的令牌 id，例如 {ID_EXAMPLE}。"),
            IdsType { value } => format!(
                "ids 必须是 id 数组（如 [873, 869]）或逗号分隔的字符串（如 \"873,869\"），而收到的是 {value}。"
            ),
            IdsInvalid { entry } if path == "ids" => {
                format!("ids 中的 {entry} 不是有效的令牌 id：id 必须是正整数。")
            }
            IdsInvalid { entry } => {
                format!("{path} 的值 {entry} 不是有效的令牌 id：id 必须是正整数。")
            }
            IdsEmptyEntry { position } => {
                format!("ids 的第 {position} 项为空：请删除多余的逗号。")
            }
            IdsEmpty => "ids 不能为空：请至少填写一个令牌 id。".into(),
            IdsTooMany { count } => format!(
                "ids 最多只能有 {MAX_IDS} 个（去重后），当前有 {count} 个：请分批提交。"
            ),
            UpdateFieldsMissing { present } => {
                let carried = if present.is_empty() {
                    "请求体中没有任何可写字段".to_string()
                } else {
                    format!("请求体中带有：{}", present.names())
                };
                format!(
                    "缺少 update_fields：请列出要写入的字段，例如 \"update_fields\": {}（{carried}）。",
                    update_fields_example(*present)
                )
            }
            UpdateFieldsType { value } if path == "update_fields" => format!(
                "update_fields 必须是字段名数组（如 [\"group\",\"expired_time\"]）或逗号分隔的字符串，而收到的是 {value}。"
            ),
            UpdateFieldsType { value } => {
                format!("{path} 必须是字段名字符串，而收到的是 {value}。")
            }
            UpdateFieldsUnknown { name } => format!(
                "update_fields 中的 {name} 不是可写字段：可写字段有 {}。",
                FieldSet::all().names()
            ),
            UpdateFieldsEmpty => "update_fields 不能为空：请至少列出一个要写入的字段。".into(),
            TooLongForColumn { field, chars, max } => format!(
                "{} 的值长 {chars} 个字符，超过数据库中该列的上限 {max}：请缩短后再提交。",
                field.name()
            ),
            NotInColumnCharset {
                field,
                character,
                charset,
            } => format!(
                "{} 含有字符 {}，数据库中该列的字符集 {charset} 无法存储：请去掉该字符，或将该列转换为 utf8mb4。",
                field.name(),
                quote_char(*character)
            ),
            FieldMissing { field } => {
                let name = field.name();
                format!(
                    "update_fields 列出了 {name}，但请求体中没有 {name} 的值：请提供该值，或从 update_fields 中去掉它。"
                )
            }
            WrongType { field, value } => {
                let expected = match field.kind() {
                    Kind::Text => "字符串",
                    Kind::Integer => "整数（JSON 数字，不带引号，没有小数点或指数）",
                    Kind::Boolean => "布尔值 true 或 false（JSON 布尔值，不带引号）",
                };
                format!("{} 必须是{expected}，而收到的是 {value}。", field.name())
            }
            GroupEmpty => "group 不能为空，也不能包含空的分组名（多余的逗号）。".into(),
            GroupDuplicate { name } => format!("group 中的分组 {name} 重复出现。"),
            GroupNotAllowed { name, allowed } => format!(
                "group 中的分组 {name} 不可用：可用的分组有 {}。",
                allowed.join(", ")
            ),
            GroupControlChar { name } => format!("group 中的分组名 {name} 含有控制字符。"),
            ExpiredTimeRange { value } => format!(
                "expired_time 的值 {value} 超出范围：应为 -1（永不过期）或 1 到 {MAX_EXPIRED_TIME} 之间的 Unix 秒数。"
            ),
            ExpiredTimeMilliseconds { value, seconds } => format!(
                "expired_time 的值 {value} 看起来是毫秒时间戳，这里需要秒：请改为 {seconds}（{}）。",
                format_utc(*seconds)
            ),
            ExpiredTimePast { value } => format!(
                "expired_time 的值 {value}（{}）已经过去：这些令牌将立即过期。",
                format_utc(*value)
            ),
            FieldsIgnored { fields } => format!(
                "请求体中的 {} 未列在 update_fields 中，未写入。",
                fields.names()
            ),
            RemainQuotaRange { value } => format!(
                "remain_quota 的值 {value} 超出范围：应为 0 到 {MAX_REMAIN_QUOTA} 之间的整数。"
            ),
            RemainQuotaTooLarge { value } => format!(
                "remain_quota 的值 {value} 超过上限 {MAX_REMAIN_QUOTA}（{} 美元）：new-api 不接受更大的令牌额度；需要不限额度时请开启 unlimited_quota。",
                MAX_REMAIN_QUOTA / QUOTA_PER_USD
            ),
            ModelLimitsEmptyEntry { position } => {
                format!("model_limits 的第 {position} 项为空：请删除多余的逗号。")
            }
            ModelLimitsTooLong { entry, chars } => format!(
                "model_limits 中的模型名 {entry} 过长：{chars} 个字符，上限为 {MAX_MODEL_NAME_CHARS}。"
            ),
            ModelLimitsControlChar { entry } => {
                format!("model_limits 中的模型名 {entry} 含有控制字符。")
            }
            ModelLimitsTotalTooLong { chars } => format!(
                "model_limits 整理后共 {chars} 个字符，超过了 {MAX_MODEL_LIMITS_CHARS} 个字符的上限。"
            ),
            AllowIpsInvalid {
                line,
                text,
                has_comma,
            } => {
                let hint = if *has_comma {
                    "每行只写一个地址，不要用逗号分隔。"
                } else {
                    ""
                };
                format!("allow_ips 第 {line} 行的 {text} 不是有效的 IP 地址或 CIDR 网段。{hint}")
            }
            AllowIpsTooMany { count } => format!(
                "allow_ips 有 {count} 个地址，超过了 {MAX_ALLOW_IPS_ENTRIES} 个的上限：请用 CIDR 网段合并相邻的地址。"
            ),
            AllowIpsTotalTooLong { chars } => format!(
                "allow_ips 整理后共 {chars} 个字符，超过了 {MAX_ALLOW_IPS_CHARS} 个字符的上限：请用 CIDR 网段合并相邻的地址。"
            ),
            MjImageModeInvalid { value } => format!(
                "mj_image_mode 的值 {value} 无效：只能是 \"origin\" 或 \"proxy\"（区分大小写）。"
            ),
            MjCustomProxyInvalidUrl { value } => format!(
                "mj_custom_proxy 的值 {value} 不是有效的地址：请留空，或填写以 http:// 或 https:// 开头、带主机名且不含空白字符的完整 URL。"
            ),
            MjCustomProxyTooLong { chars } => format!(
                "mj_custom_proxy 长 {chars} 个字符，超过上限 {MAX_MJ_CUSTOM_PROXY_CHARS}：请填写更短的代理地址。"
            ),
            MjCustomProxyModeConflict => "mj_custom_proxy 设置了代理地址，但同一请求把 mj_image_mode 设为 \"origin\"：代理地址只在 \"proxy\" 模式下生效，请改用 \"proxy\" 或清空代理地址。".into(),
            Filter(problem) => problem.message(Lang::ZhCn),
            Scope(problem) => problem.message(Lang::ZhCn),
            Operation(problem) => problem.message(Lang::ZhCn),
            Plan(problem) => problem.message(Lang::ZhCn),
        }
    }
}

fn json_reason_zh(reason: JsonErrorKind) -> String {
    use JsonErrorKind::*;
    match reason {
        UnexpectedEnd => "内容意外结束".into(),
        UnexpectedChar { found, expected } => {
            let expected = match expected {
                JsonExpected::Value => "一个值",
                JsonExpected::CommaOrCloseBracket => "逗号或 ]",
                JsonExpected::CommaOrCloseBrace => "逗号或 }",
                JsonExpected::Colon => "冒号",
                JsonExpected::Key => "用双引号括起的字段名",
                JsonExpected::EndOfInput => "内容结束",
            };
            format!("意外的字符 {}，此处应为{expected}", quote_char(found))
        }
        InvalidNumber => "数字格式不正确".into(),
        InvalidEscape => "字符串中的转义序列无效".into(),
        LoneSurrogate => "字符串中有不成对的 UTF-16 代理项（\\u 转义）".into(),
        ControlCharInString => "字符串中含有未转义的控制字符".into(),
        UnterminatedString => "字符串缺少结束的双引号".into(),
        UnterminatedComment => "注释缺少结束的 */".into(),
        TooDeep => format!("嵌套层数超过 {} 层", crate::json::MAX_DEPTH),
    }
}
