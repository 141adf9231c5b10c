//! The demo organization: departments, positions (岗位职责 from handbook documents 3 and 12)
//! and the staff who hold them.

use kefu_domain::org::{Education, Qualifications};
use kefu_domain::Permission;

/// A department; `parent` names another department of this table.
pub(crate) struct DepartmentSpec {
    pub name: &'static str,
    pub parent: Option<&'static str>,
    pub description: &'static str,
}

pub(crate) const CENTER: &str = "客户服务中心";
pub(crate) const INTAKE: &str = "业务受理组";
pub(crate) const CALLBACK: &str = "回访调查组";

pub(crate) const DEPARTMENTS: &[DepartmentSpec] = &[
    DepartmentSpec {
        name: CENTER,
        parent: None,
        description: "立足服务，面向公司各业务领域客户群，提供业务咨询和服务，受理投诉，\
                      维护售前、售中、售后的客户关系，建立客户信息数据库并完成客户满意度调查。",
    },
    DepartmentSpec {
        name: INTAKE,
        parent: Some(CENTER),
        description: "隶属于客户服务中心，负责业务咨询及投诉受理工作；\
                      无法解决的问题转接各专业技术部门。",
    },
    DepartmentSpec {
        name: CALLBACK,
        parent: Some(CENTER),
        description: "隶属于客户服务中心，负责售前回访、售后回访、投诉回访及满意度调查。",
    },
    DepartmentSpec {
        name: "研发部",
        parent: None,
        description: "接收客服中心转来的软件缺陷和功能需求。",
    },
    DepartmentSpec {
        name: "技术部",
        parent: None,
        description: "受理客服中心转接的专业技术咨询，负责安装、调试和技术类投诉。",
    },
    DepartmentSpec {
        name: "销售部",
        parent: None,
        description: "提供售前、售后回访所需的客户数据，跟进客服中心转来的销售线索。",
    },
];

pub(crate) struct PositionSpec {
    pub title: &'static str,
    pub department: &'static str,
    /// One duty per item, in the position form's line format: a cadence may follow `|`
    /// (`… | monthly 22`).
    pub duties: &'static [&'static str],
    pub min_education: Option<Education>,
    pub min_years: Option<u32>,
    pub certificates: &'static [&'static str],
    pub headcount_limit: Option<i64>,
    pub permissions: &'static [Permission],
    /// Titles of positions (earlier in [`POSITIONS`]) that may not be held together with
    /// this one (兼任 rules).
    pub excluded_with: &'static [&'static str],
}

impl PositionSpec {
    pub fn qualifications(&self) -> Qualifications {
        Qualifications {
            min_education: self.min_education,
            min_years_experience: self.min_years,
            certificates: self.certificates.iter().map(|c| c.to_string()).collect(),
            any_of: Vec::new(),
        }
    }
}

pub(crate) const MANAGER: &str = "客户服务中心经理";
pub(crate) const SHIFT_LEAD: &str = "班长";
pub(crate) const INSPECTOR: &str = "质检员";
pub(crate) const AGENT: &str = "客服专员";
pub(crate) const CALLBACK_AGENT: &str = "回访专员";
pub(crate) const INFO_ADMIN: &str = "信息管理员";
pub(crate) const ENGINEER: &str = "研发工程师";
pub(crate) const TECH_SUPPORT: &str = "技术支持工程师";
pub(crate) const SALES: &str = "销售代表";

/// The certificate the quality inspector needs (and the staff who have it).
const MANDARIN: &str = "普通话二级甲等";

use Permission::*;

/// In creation order: a position's `excluded_with` only names positions created before it.
pub(crate) const POSITIONS: &[PositionSpec] = &[
    PositionSpec {
        title: AGENT,
        department: INTAKE,
        duties: &[
            "履行首问负责制，及时接听和回复客户咨询、投诉，做好电话记录",
            "以规范标准和流程答复客户，自己不能处理的及时反馈班长并逐级上报",
            "售前介绍产品、售中跟踪订单、售后处理退换货和投诉",
            "建立并维护客户档案，对客户资料严格保密",
            "每一件投诉有记录、有处理结果，建立投诉处理档案",
            "做好“问声、应声、送声”三声服务",
        ],
        min_education: Some(Education::HighSchool),
        min_years: None,
        certificates: &[],
        headcount_limit: Some(8),
        permissions: &[
            CustomerRead,
            CustomerWrite,
            OrgRead,
            TicketRead,
            TicketWrite,
            CallHandle,
            KnowledgeRead,
            // 主动拨打: each agent works a daily calling list (document 2).
            CampaignCall,
            // 在线咨询: agents answer the web chat during its hours (documents 10, 13).
            ChatAnswer,
        ],
        excluded_with: &[],
    },
    PositionSpec {
        title: CALLBACK_AGENT,
        department: CALLBACK,
        duties: &[
            "针对业务受理组所采取的措施及成效，开展售前、售后和投诉回访",
            "参照回访标准话术逐一回访，在承诺时限内电话答复客户",
            "客户满意则致谢挂机，客户不满意则继续督导相关单位改进服务",
            "开展客户满意度调查，定期制作客户需求及意见反馈报告",
            "按周期回访产品客户，整理客户流失情况及客户意见",
        ],
        min_education: Some(Education::HighSchool),
        min_years: Some(1),
        certificates: &[],
        headcount_limit: Some(4),
        permissions: &[
            CustomerRead,
            CustomerWrite,
            OrgRead,
            TicketRead,
            TicketWrite,
            CallHandle,
            KnowledgeRead,
            CallbackView,
            CallbackWork,
            SurveySend,
            SurveyView,
        ],
        excluded_with: &[],
    },
    PositionSpec {
        title: INSPECTOR,
        department: CENTER,
        duties: &[
            "负责客服系统服务质量检查，发现问题立即纠正，遇突发事件及时上报经理",
            "每月对每位业务代表监听1–5次：服务用语、服务态度、语气语调、需求归纳能力、应变能力",
            "随机抽查电话录音，考核通话质量，提出改进意见并记录相关数据",
            "将每次检查情况详细填写在服务质量综合考评表上，每月汇总上交考核",
            "每周小结一次，提交质检分析报告及培训计划 | weekly fri",
            "在点名、点评时对带有普遍性的服务质量问题做详细讲评",
        ],
        min_education: Some(Education::Associate),
        min_years: Some(2),
        certificates: &[MANDARIN],
        headcount_limit: Some(2),
        permissions: &[
            CustomerRead,
            OrgRead,
            TicketRead,
            KnowledgeRead,
            // 质检: reads chat transcripts as well as listening to calls.
            ChatInspect,
            // Draws the month's sample, scores, comments, writes the weekly summary.
            QaInspect,
            QaManage,
        ],
        // An inspector never inspects their own calls.
        excluded_with: &[AGENT, CALLBACK_AGENT],
    },
    PositionSpec {
        title: MANAGER,
        department: CENTER,
        duties: &[
            "全面负责客户服务中心的领导、统筹工作，制定并完善各项制度、工作流程和工作标准",
            "制定部门工作计划，开展对客服人员的培训、激励、评价和考核",
            "组织统计分析客户资源信息，监督客户档案的建立和分级管理",
            "按客户分级制定并实施回访工作计划，开展定期或不定期回访",
            "负责重大投诉和重要客户投诉的跟进、处理，督促相关部门及时解决",
            "建立并监控客户呼叫、回访工作流程，审阅每月服务质量分析报告",
        ],
        min_education: Some(Education::Bachelor),
        min_years: Some(5),
        certificates: &[],
        headcount_limit: Some(1),
        permissions: Permission::ALL,
        // The manager does not also mark the inspections.
        excluded_with: &[INSPECTOR],
    },
    PositionSpec {
        title: SHIFT_LEAD,
        department: INTAKE,
        duties: &[
            "负责对业务代表的业务管理与指导，检查、监督岗位职责执行情况",
            "处理工作中的疑难问题、重要事件及突发事件，并及时上报经理",
            "严格现场管理，认真填写值班日志 | daily",
            "每月汇总形成服务质量分析报告，22日前交客户服务中心经理 | monthly 22",
            "每天统计当天工作量（咨询、查询、主动服务），形成日报、周报",
            "掌握各班忙闲和工单滞留情况，合理安排座席，及时催促完工",
        ],
        min_education: Some(Education::Associate),
        min_years: Some(2),
        certificates: &[],
        headcount_limit: Some(2),
        permissions: &[
            CustomerRead,
            CustomerWrite,
            CustomerPiiRead,
            CustomerExport,
            OrgRead,
            TicketRead,
            TicketWrite,
            TicketSupervise,
            CallHandle,
            KnowledgeRead,
            KnowledgeWrite,
            // 客服主管按数量均衡、兼顾业务能力分配客户 (document 7).
            CustomerAssign,
            CallbackView,
            CallbackWork,
            CallbackManage,
            // Reads the satisfaction results for the monthly quality report.
            SurveyView,
            // Sets up outbound campaigns and follows their progress.
            CampaignManage,
            // Takes chats at peaks, keeps the chat topics and capacities, reads transcripts.
            ChatAnswer,
            ChatManage,
            ChatInspect,
            // Decides about e-mails held for review (a forged or stranger's reply).
            MailReview,
            // Decides agents' appeals of their inspections (质检申诉).
            QaDecide,
            // Places seats by how busy each period is (handbook document 12): the roster.
            ScheduleManage,
            // Watches the queues, the service level and who is on shift: the wallboard.
            ReportView,
        ],
        excluded_with: &[],
    },
    PositionSpec {
        title: INFO_ADMIN,
        department: CENTER,
        duties: &[
            "建立和完善客户资料库，保证客户资料完整、信息准确",
            "保证客户信用信息及时、有效，防止客户信息泄露",
            "负责客户资料的批量导入、导出和分级整理",
            "对破坏客户关系和泄露客户信息的行为、过失收集证据，并提请处罚",
            "完成客户信息数据分析，为销售和售后策略提供支持",
        ],
        min_education: Some(Education::Associate),
        min_years: Some(1),
        certificates: &[],
        headcount_limit: Some(1),
        permissions: &[
            CustomerRead,
            CustomerWrite,
            CustomerPiiRead,
            CustomerImport,
            CustomerExport,
            OrgRead,
            KnowledgeRead,
            KnowledgeWrite,
        ],
        excluded_with: &[],
    },
    PositionSpec {
        title: ENGINEER,
        department: "研发部",
        duties: &[
            "接收客服中心转来的软件缺陷和功能需求，评估并排期处理",
            "处理结果及时反馈客服中心，由回访专员答复客户",
            "参与重大投诉的原因分析，提出产品改进方案",
        ],
        min_education: Some(Education::Bachelor),
        min_years: None,
        certificates: &[],
        headcount_limit: None,
        permissions: &[
            CustomerRead,
            OrgRead,
            TicketRead,
            TicketWrite,
            KnowledgeRead,
        ],
        excluded_with: &[],
    },
    PositionSpec {
        title: TECH_SUPPORT,
        department: "技术部",
        duties: &[
            "接收业务受理组转接的专业技术咨询，提供技术解答",
            "负责现场安装、调试和客户培训",
            "处理技术类投诉，处理结果反馈客服中心回访",
        ],
        min_education: Some(Education::Associate),
        min_years: None,
        certificates: &[],
        headcount_limit: None,
        permissions: &[
            CustomerRead,
            OrgRead,
            TicketRead,
            TicketWrite,
            KnowledgeRead,
        ],
        excluded_with: &[],
    },
    PositionSpec {
        title: SALES,
        department: "销售部",
        duties: &[
            "提供售前、售后回访所需的客户和订单数据",
            "跟进客服中心转来的销售线索和重点客户需求",
            "配合处理与销售相关的投诉",
        ],
        min_education: Some(Education::HighSchool),
        min_years: None,
        certificates: &[],
        headcount_limit: None,
        permissions: &[
            CustomerRead,
            OrgRead,
            TicketRead,
            TicketWrite,
            KnowledgeRead,
        ],
        excluded_with: &[],
    },
];

pub(crate) struct StaffSpec {
    pub username: &'static str,
    pub display_name: &'static str,
    pub agent_no: &'static str,
    pub education: Education,
    pub years: u32,
    pub certificates: &'static [&'static str],
    pub positions: &'static [&'static str],
}

pub(crate) const STAFF: &[StaffSpec] = &[
    StaffSpec {
        username: "manager",
        display_name: "王建国",
        agent_no: "KF001",
        education: Education::Bachelor,
        years: 12,
        certificates: &[],
        positions: &[MANAGER],
    },
    StaffSpec {
        username: "lead",
        display_name: "李娜",
        agent_no: "KF002",
        education: Education::Associate,
        years: 6,
        certificates: &[MANDARIN],
        positions: &[SHIFT_LEAD],
    },
    StaffSpec {
        username: "inspector",
        display_name: "陈静",
        agent_no: "KF003",
        education: Education::Bachelor,
        years: 5,
        certificates: &[MANDARIN],
        positions: &[INSPECTOR],
    },
    StaffSpec {
        username: "agent1",
        display_name: "张丽",
        agent_no: "KF101",
        education: Education::Associate,
        years: 2,
        certificates: &[],
        positions: &[AGENT],
    },
    StaffSpec {
        username: "agent2",
        display_name: "刘洋",
        agent_no: "KF102",
        education: Education::HighSchool,
        years: 1,
        certificates: &[],
        positions: &[AGENT],
    },
    StaffSpec {
        username: "agent3",
        display_name: "赵敏",
        agent_no: "KF103",
        education: Education::Bachelor,
        years: 3,
        certificates: &[MANDARIN],
        positions: &[AGENT],
    },
    StaffSpec {
        username: "agent4",
        display_name: "孙浩",
        agent_no: "KF104",
        education: Education::Associate,
        years: 0,
        certificates: &[],
        positions: &[AGENT],
    },
    StaffSpec {
        username: "callback1",
        display_name: "周婷",
        agent_no: "KF201",
        education: Education::Associate,
        years: 3,
        certificates: &[],
        positions: &[CALLBACK_AGENT],
    },
    StaffSpec {
        username: "callback2",
        display_name: "吴磊",
        agent_no: "KF202",
        education: Education::HighSchool,
        years: 2,
        certificates: &[],
        positions: &[CALLBACK_AGENT],
    },
    StaffSpec {
        username: "infoadmin",
        display_name: "郑秀英",
        agent_no: "KF301",
        education: Education::Bachelor,
        years: 4,
        certificates: &[],
        positions: &[INFO_ADMIN],
    },
    StaffSpec {
        username: "tech1",
        display_name: "黄志强",
        agent_no: "JS001",
        education: Education::Bachelor,
        years: 7,
        certificates: &[],
        positions: &[TECH_SUPPORT],
    },
];

/// The usernames that own customers (the 客服专员).
pub(crate) const CUSTOMER_OWNERS: &[&str] = &["agent1", "agent2", "agent3", "agent4"];

pub(crate) const USERNAMES: &[&str] = &[
    "manager",
    "lead",
    "inspector",
    "agent1",
    "agent2",
    "agent3",
    "agent4",
    "callback1",
    "callback2",
    "infoadmin",
    "tech1",
];
