"""Hand-written Vietnamese story seeds for the labelled near-duplicate set: title, lead, TikTok-style retelling.

Seeds in the same `family` are different stories on purpose (near-misses that must not merge).
"""

from __future__ import annotations

SEEDS: list[dict[str, str]] = [
    # family: giả danh công an
    {
        "family": "cong-an",
        "t": "Cảnh báo thủ đoạn giả danh công an gọi điện yêu cầu cài ứng dụng dịch vụ công giả mạo",
        "l": "Thời gian gần đây, nhiều người dân nhận được cuộc gọi của đối tượng tự xưng là cán bộ công an phường, yêu cầu cập nhật thông tin định danh điện tử bằng cách tải một ứng dụng dịch vụ công giả mạo qua đường link lạ. Sau khi cài đặt, điện thoại bị chiếm quyền điều khiển và tài khoản ngân hàng bị rút sạch tiền.",
        "c": "Có ai gọi xưng công an phường bắt cài app dịch vụ công để cập nhật định danh thì cúp máy ngay nha mọi người 😡 cài vào là bị chiếm quyền điều khiển điện thoại, rút sạch tiền trong tài khoản ngân hàng",
    },
    {
        "family": "cong-an",
        "t": "Giả danh công an yêu cầu chuyển tiền vào tài khoản tạm giữ để phục vụ điều tra",
        "l": "Các đối tượng gọi điện thông báo người nghe có liên quan đến một đường dây rửa tiền, ma túy, sau đó yêu cầu chuyển toàn bộ tiền trong tài khoản vào tài khoản tạm giữ của cơ quan điều tra để chứng minh trong sạch. Công an khẳng định không làm việc qua điện thoại và không có tài khoản tạm giữ nào như vậy.",
        "c": "Bị gọi nói dính đường dây rửa tiền, phải chuyển hết tiền vào tài khoản tạm giữ để điều tra 🚨 Công an không bao giờ làm việc qua điện thoại, không có tài khoản tạm giữ nào cả, đừng chuyển tiền",
    },
    {
        "family": "cong-an",
        "t": "Đối tượng giả danh cán bộ công an gửi giấy triệu tập qua Zalo để lừa đảo",
        "l": "Kẻ gian gửi hình ảnh giấy triệu tập, lệnh bắt giả có đóng dấu đỏ qua Zalo, đe dọa sẽ khởi tố nếu nạn nhân không hợp tác, rồi dẫn dụ nạn nhân kết bạn với tài khoản tự xưng là kiểm sát viên để hướng dẫn chuyển tiền. Giấy tờ của cơ quan tố tụng không bao giờ được gửi qua mạng xã hội.",
        "c": "Nhận giấy triệu tập, lệnh bắt có dấu đỏ gửi qua Zalo là giả 100% nha cả nhà 📛 tụi nó đe dọa khởi tố rồi bắt kết bạn kiểm sát viên để chuyển tiền",
    },
    # family: tuyển cộng tác viên, same scam in different provinces
    {
        "family": "ctv",
        "t": "Công an Nghệ An cảnh báo lừa đảo tuyển cộng tác viên bán hàng online, một phụ nữ mất 480 triệu đồng",
        "l": "Chị N.T.H., trú tại thị xã Cửa Lò, tỉnh Nghệ An, thấy quảng cáo tuyển cộng tác viên làm nhiệm vụ đặt đơn hàng trên sàn thương mại điện tử để nhận hoa hồng. Ban đầu chị được trả cả gốc lẫn lãi, nhưng khi nạp số tiền lớn hơn thì hệ thống báo lỗi, yêu cầu nộp thêm tiền để rút. Tổng cộng chị đã chuyển 480 triệu đồng.",
        "c": "Một chị ở Cửa Lò, Nghệ An mất 480 triệu vì làm cộng tác viên đặt đơn nhận hoa hồng 😭 lúc đầu được trả lãi, sau nạp nhiều thì báo lỗi bắt nộp thêm mới rút được",
    },
    {
        "family": "ctv",
        "t": "Quảng Ninh: Nam thanh niên bị lừa 1,2 tỷ đồng khi làm nhiệm vụ cộng tác viên online",
        "l": "Anh P.V.T., sinh năm 1995, trú tại phường Hồng Hải, thành phố Hạ Long, được một tài khoản lạ mời vào nhóm Telegram làm nhiệm vụ thả tim video, mua hộ sản phẩm để hưởng chiết khấu. Sau hơn một tuần, anh bị khóa tài khoản nhiệm vụ với lý do thao tác sai và không thể rút về 1,2 tỷ đồng đã nạp.",
        "c": "Hạ Long: thanh niên 29 tuổi nạp 1,2 tỷ vào nhóm Telegram làm nhiệm vụ thả tim, mua hộ sản phẩm, cuối cùng bị khóa tài khoản vì thao tác sai 💸 tỉnh táo nha mọi người",
    },
    {
        "family": "ctv",
        "t": "Thanh Hóa: Giáo viên mất gần 300 triệu đồng vì tin lời mời làm việc online tại nhà",
        "l": "Cô giáo L.T.M. ở huyện Hoằng Hóa, tỉnh Thanh Hóa, nhận tin nhắn mời làm việc online tại nhà, mỗi ngày chỉ cần một giờ đánh giá khách sạn trên một ứng dụng du lịch. Sau vài lần được thanh toán nhỏ, cô được yêu cầu nạp tiền nâng cấp tài khoản VIP và đã chuyển gần 300 triệu đồng trước khi nhận ra bị lừa.",
        "c": "Cô giáo ở Hoằng Hóa mất gần 300 triệu vì nhận việc online đánh giá khách sạn, sau đó bị bắt nạp tiền nâng cấp tài khoản VIP 😢 việc nhẹ lương cao toàn là bẫy",
    },
    # family: ngân hàng
    {
        "family": "bank",
        "t": "Cảnh báo tin nhắn giả mạo ngân hàng thông báo tài khoản bị khóa, yêu cầu đăng nhập đường link lạ",
        "l": "Nhiều khách hàng nhận được tin nhắn SMS hiển thị tên thương hiệu ngân hàng, thông báo tài khoản sẽ bị tạm khóa do chưa cập nhật sinh trắc học và yêu cầu truy cập đường link để xác thực. Trang web giả mạo thu thập tên đăng nhập, mật khẩu và mã OTP, sau đó kẻ gian chiếm đoạt tiền trong tài khoản.",
        "c": "Tin nhắn mang tên ngân hàng báo tài khoản bị khóa vì chưa cập nhật sinh trắc học, kèm link xác thực ⚠️ bấm vào nhập mật khẩu với OTP là mất tiền, ngân hàng không gửi link qua tin nhắn",
    },
    {
        "family": "bank",
        "t": "Giả mạo nhân viên ngân hàng gọi điện mời nâng hạn mức thẻ tín dụng",
        "l": "Đối tượng tự xưng là nhân viên ngân hàng gọi điện mời khách hàng nâng hạn mức thẻ tín dụng miễn phí, sau đó đề nghị chụp hai mặt thẻ và đọc mã OTP gửi về điện thoại. Có mã OTP, đối tượng lập tức thực hiện các giao dịch thanh toán trực tuyến bằng thẻ của nạn nhân.",
        "c": "Ai gọi mời nâng hạn mức thẻ tín dụng miễn phí rồi xin chụp hai mặt thẻ, đọc mã OTP là lừa đảo nha 🙅 đọc OTP xong là thẻ bị quẹt sạch",
    },
    {
        "family": "bank",
        "t": "Chiêu lừa chuyển nhầm tiền vào tài khoản rồi đòi lại kèm lãi suất cao",
        "l": "Kẻ gian cố tình chuyển một khoản tiền vào tài khoản của người dân, sau đó giả làm nhân viên công ty tài chính gọi điện thông báo đây là khoản vay đã giải ngân và yêu cầu trả lại cả gốc lẫn lãi suất rất cao. Người nhận tiền chuyển nhầm nên liên hệ ngân hàng để trả lại đúng tài khoản gốc.",
        "c": "Tự nhiên có tiền chuyển nhầm vào tài khoản rồi có người gọi bảo đó là khoản vay, đòi trả cả gốc lẫn lãi cắt cổ 😤 đừng tự chuyển lại, báo ngân hàng xử lý nha",
    },
    {
        "family": "bank",
        "t": "Lừa đảo hỗ trợ khách hàng cập nhật sinh trắc học qua cuộc gọi video",
        "l": "Lợi dụng quy định xác thực sinh trắc học khi chuyển tiền, đối tượng gọi video giả làm nhân viên ngân hàng, hướng dẫn khách hàng quay mặt theo nhiều góc để thu thập dữ liệu khuôn mặt, rồi dùng dữ liệu này mở khóa ứng dụng ngân hàng trên thiết bị khác.",
        "c": "Có người gọi video xưng nhân viên ngân hàng hướng dẫn cập nhật sinh trắc học, bắt quay mặt trái phải 📹 là tụi nó lấy khuôn mặt để mở app ngân hàng của mình đó",
    },
    # family: điện lực, viễn thông
    {
        "family": "util",
        "t": "Giả danh nhân viên điện lực thông báo cắt điện để lừa đảo",
        "l": "Nhiều hộ dân nhận cuộc gọi tự xưng là nhân viên điện lực, thông báo hóa đơn tiền điện quá hạn và sẽ cắt điện trong hai giờ nếu không thanh toán ngay qua đường link hoặc kết bạn Zalo để được hướng dẫn. Ngành điện khẳng định không thu tiền qua tài khoản cá nhân.",
        "c": "Gọi báo nợ tiền điện, 2 tiếng nữa cắt điện, bắt thanh toán qua link hoặc kết bạn Zalo ⚡ điện lực không thu tiền qua tài khoản cá nhân đâu nha bà con",
    },
    {
        "family": "util",
        "t": "Mạo danh nhà mạng thông báo thuê bao sắp bị khóa do chưa chuẩn hóa thông tin",
        "l": "Đối tượng gọi điện mạo danh nhà mạng, thông báo số điện thoại sẽ bị khóa hai chiều vì chưa chuẩn hóa thông tin thuê bao, yêu cầu người dùng cung cấp ảnh căn cước và mã OTP hoặc nhắn tin theo cú pháp lạ. Qua đó, chúng chiếm quyền sim và tài khoản ngân hàng liên kết.",
        "c": "Bị gọi nói sim sắp khóa hai chiều vì chưa chuẩn hóa thông tin thuê bao, bắt gửi ảnh căn cước với OTP 📵 gửi là bị chiếm sim, mất luôn tài khoản ngân hàng",
    },
    {
        "family": "util",
        "t": "Cảnh giác tin nhắn thông báo trúng thưởng tri ân khách hàng của nhà mạng",
        "l": "Tin nhắn thông báo thuê bao may mắn trúng thưởng xe máy hoặc điện thoại trong chương trình tri ân khách hàng, yêu cầu nộp trước phí vận chuyển và thuế thu nhập để nhận giải. Các nhà mạng khẳng định không tổ chức chương trình nào như vậy.",
        "c": "Nhận tin trúng xe máy, điện thoại tri ân khách hàng nhà mạng nhưng phải nộp phí vận chuyển với thuế trước 🎁 không có quà nào hết, chỉ mất tiền thôi",
    },
    # family: mạng xã hội
    {
        "family": "social",
        "t": "Chiếm quyền tài khoản Facebook rồi nhắn tin vay tiền người thân",
        "l": "Sau khi chiếm được tài khoản Facebook, kẻ gian nhắn tin cho bạn bè, người thân của chủ tài khoản để hỏi vay tiền gấp, thậm chí dùng video giả mạo khuôn mặt trong vài giây để tạo lòng tin. Người dân cần gọi điện trực tiếp để xác minh trước khi chuyển tiền.",
        "c": "Facebook người quen nhắn hỏi vay tiền gấp, còn gọi video vài giây thấy mặt 😱 vẫn có thể là giả đó, gọi điện thoại trực tiếp hỏi lại trước khi chuyển",
    },
    {
        "family": "social",
        "t": "Lừa đảo lấy lại tài khoản Facebook bị hack, nạn nhân mất thêm tiền",
        "l": "Nhiều người bị mất tài khoản Facebook tìm đến các trang quảng cáo dịch vụ lấy lại tài khoản và bị yêu cầu chuyển tiền đặt cọc nhiều lần. Các đối tượng này thực chất là kẻ lừa đảo, nhận tiền rồi chặn liên lạc.",
        "c": "Mất Facebook rồi lên mạng thuê dịch vụ lấy lại tài khoản, bị đòi cọc hết lần này tới lần khác 🤦 nhận tiền xong chặn luôn, đừng tin mấy trang này",
    },
    {
        "family": "social",
        "t": "Cảnh báo giả mạo trang fanpage của người nổi tiếng để tổ chức minigame",
        "l": "Các fanpage giả mạo ca sĩ, diễn viên nổi tiếng tổ chức minigame tặng quà, thông báo người bình luận đã trúng thưởng và yêu cầu chuyển phí nhận quà hoặc cung cấp thông tin thẻ ngân hàng. Người dùng nên kiểm tra dấu tích xanh và lịch sử trang trước khi tham gia.",
        "c": "Fanpage giả ca sĩ, diễn viên làm minigame tặng quà, báo trúng thưởng rồi bắt chuyển phí nhận quà 🎤 nhớ xem dấu tích xanh với lịch sử trang nha",
    },
    {
        "family": "social",
        "t": "Thủ đoạn gửi đường link bình chọn cuộc thi để chiếm tài khoản Zalo",
        "l": "Đối tượng nhắn tin nhờ bạn bè bình chọn cho con mình trong một cuộc thi ảnh, kèm đường link yêu cầu đăng nhập bằng số điện thoại và mã xác thực. Khi người dùng làm theo, tài khoản Zalo bị chiếm và tiếp tục bị dùng để lừa người khác.",
        "c": "Được nhờ bình chọn cho bé trong cuộc thi ảnh, bấm link bắt nhập số điện thoại với mã xác thực 🗳️ là mất Zalo liền, xong tụi nó lấy đi lừa tiếp người khác",
    },
    # family: đầu tư, vay
    {
        "family": "invest",
        "t": "Cảnh báo lừa đảo đầu tư tiền ảo, chứng khoán quốc tế hứa lợi nhuận cao",
        "l": "Các đối tượng lập nhóm trên Telegram, Zalo giới thiệu chuyên gia đầu tư tiền ảo, chứng khoán quốc tế với cam kết lợi nhuận 30% mỗi tháng. Sau khi nạn nhân nạp tiền vào sàn giao dịch không được cấp phép, sàn bị đóng và tiền không thể rút.",
        "c": "Nhóm Telegram có chuyên gia hứa lãi 30% mỗi tháng khi đầu tư tiền ảo, chứng khoán quốc tế 📈 nạp vào sàn không phép là sàn sập, mất trắng",
    },
    {
        "family": "invest",
        "t": "Lừa đảo cho vay tiền online không cần thế chấp, yêu cầu nộp phí giải ngân",
        "l": "Các ứng dụng, trang web quảng cáo cho vay nhanh không cần thế chấp, duyệt hồ sơ trong năm phút. Sau khi khách đăng ký, đối tượng thông báo sai số tài khoản và yêu cầu nộp phí bảo hiểm khoản vay, phí giải ngân nhiều lần nhưng không bao giờ giải ngân.",
        "c": "Vay online không cần thế chấp, duyệt 5 phút nhưng bắt nộp phí bảo hiểm khoản vay, phí giải ngân 💰 nộp hoài không thấy tiền về, lừa đảo đó",
    },
    {
        "family": "invest",
        "t": "Mạo danh công ty chứng khoán lập nhóm Zalo hướng dẫn đầu tư cổ phiếu",
        "l": "Kẻ gian sử dụng tên, logo của các công ty chứng khoán uy tín để lập nhóm Zalo, mời người dân tham gia khóa học miễn phí rồi hướng dẫn mua cổ phiếu qua ứng dụng giả. Tài khoản hiển thị lãi lớn nhưng khi rút tiền thì bị yêu cầu đóng thuế, phí.",
        "c": "Nhóm Zalo dùng logo công ty chứng khoán lớn dạy đầu tư cổ phiếu miễn phí, app báo lãi to nhưng rút tiền thì đòi đóng thuế, phí 📉 app giả đó nha",
    },
    {
        "family": "invest",
        "t": "Cảnh báo ứng dụng cho vay nặng lãi đòi nợ bằng cách bôi nhọ trên mạng xã hội",
        "l": "Nhiều ứng dụng cho vay qua điện thoại yêu cầu quyền truy cập danh bạ, sau đó áp lãi suất cắt cổ và khi người vay chậm trả thì gọi điện, nhắn tin bôi nhọ, ghép ảnh nhạy cảm gửi đến người thân và đồng nghiệp.",
        "c": "App vay tiền đòi quyền truy cập danh bạ, lãi cắt cổ, trễ hạn là gọi khủng bố, ghép ảnh bôi nhọ gửi người thân 😠 tránh xa mấy app này",
    },
    # family: giáo dục, y tế
    {
        "family": "school",
        "t": "Giả danh giáo viên báo con bị tai nạn cấp cứu, yêu cầu chuyển tiền mổ gấp",
        "l": "Đối tượng gọi cho phụ huynh, tự xưng là giáo viên chủ nhiệm hoặc bác sĩ, báo con đang bị tai nạn ở trường và phải mổ cấp cứu gấp, yêu cầu chuyển tiền viện phí ngay. Nhiều phụ huynh hoảng loạn đã chuyển tiền mà không kịp xác minh.",
        "c": "Phụ huynh chú ý: có người gọi xưng giáo viên chủ nhiệm báo con bị tai nạn, đang mổ cấp cứu, bắt chuyển tiền viện phí gấp 🏥 bình tĩnh gọi cho trường xác minh trước",
    },
    {
        "family": "school",
        "t": "Lừa đảo mời nhận học bổng du học toàn phần, thu phí hồ sơ",
        "l": "Các trang mạng quảng cáo học bổng du học toàn phần tại Nhật Bản, Hàn Quốc, cam kết bay trong ba tháng, yêu cầu học sinh nộp phí xét hồ sơ, phí bảo lãnh visa. Sau khi nhận tiền, trung tâm đóng cửa và chặn liên lạc.",
        "c": "Quảng cáo học bổng du học Nhật, Hàn toàn phần, bay trong 3 tháng nhưng bắt nộp phí xét hồ sơ, phí bảo lãnh visa ✈️ nhận tiền xong đóng cửa chặn liên lạc",
    },
    {
        "family": "school",
        "t": "Giả mạo cán bộ phòng giáo dục gọi điện hoàn tiền học phí, bảo hiểm y tế học sinh",
        "l": "Kẻ gian gọi điện cho phụ huynh, xưng là cán bộ phòng giáo dục, thông báo được hoàn lại tiền bảo hiểm y tế hoặc học phí của con, rồi hướng dẫn cài ứng dụng lạ để nhận tiền. Ứng dụng này chiếm quyền điều khiển điện thoại.",
        "c": "Gọi xưng cán bộ phòng giáo dục báo hoàn tiền bảo hiểm y tế, học phí cho con rồi bắt cài app lạ để nhận tiền 📲 đừng cài, app chiếm quyền điện thoại đó",
    },
    {
        "family": "health",
        "t": "Quảng cáo thuốc chữa bách bệnh giả danh bác sĩ nổi tiếng trên mạng xã hội",
        "l": "Nhiều trang mạng xã hội sử dụng hình ảnh, video cắt ghép của các bác sĩ, chuyên gia y tế nổi tiếng để quảng cáo thuốc chữa dứt điểm tiểu đường, xương khớp, bán với giá cao. Sản phẩm không rõ nguồn gốc, có thể gây hại cho sức khỏe.",
        "c": "Video bác sĩ nổi tiếng quảng cáo thuốc chữa dứt điểm tiểu đường, xương khớp là cắt ghép đó 💊 hàng không rõ nguồn gốc, bán giá cao mà hại sức khỏe",
    },
    {
        "family": "health",
        "t": "Lừa đảo bán bảo hiểm y tế, bảo hiểm xã hội qua điện thoại",
        "l": "Đối tượng gọi điện xưng là nhân viên bảo hiểm xã hội, thông báo thẻ bảo hiểm y tế sắp hết hạn hoặc sổ bảo hiểm có khoản tiền chưa nhận, yêu cầu kết bạn Zalo và chuyển khoản phí gia hạn. Cơ quan bảo hiểm xã hội không gọi điện yêu cầu chuyển tiền.",
        "c": "Gọi xưng bảo hiểm xã hội báo thẻ bảo hiểm y tế sắp hết hạn, sổ bảo hiểm có tiền chưa nhận, bắt kết bạn Zalo chuyển phí gia hạn 📞 cơ quan bảo hiểm không gọi đòi tiền",
    },
    # family: mua bán, giao hàng
    {
        "family": "shop",
        "t": "Giả danh shipper giao hàng yêu cầu chuyển khoản trước khi nhận",
        "l": "Kẻ gian gọi điện giả làm nhân viên giao hàng, thông báo có đơn hàng cần thanh toán trước phí vận chuyển hoặc tiền thu hộ, rồi gửi mã QR để người nhận chuyển khoản. Thực tế người dân không đặt đơn hàng nào.",
        "c": "Shipper gọi nói có đơn hàng, bắt chuyển khoản trước phí ship hoặc tiền thu hộ qua mã QR 📦 trong khi mình đâu có đặt gì, cẩn thận nha",
    },
    {
        "family": "shop",
        "t": "Lừa đảo bán vé máy bay giá rẻ qua trang mạng xã hội dịp cao điểm",
        "l": "Vào dịp cao điểm du lịch, nhiều trang mạng xã hội giả danh đại lý hàng không rao bán vé máy bay giá rẻ, gửi mã đặt chỗ giả cho khách sau khi nhận tiền. Khi ra sân bay làm thủ tục, hành khách mới biết vé không tồn tại.",
        "c": "Mua vé máy bay giá rẻ trên mạng xã hội mùa cao điểm, ra sân bay mới biết mã đặt chỗ giả ✈️ chỉ mua trên website, đại lý chính thức của hãng",
    },
    {
        "family": "shop",
        "t": "Cảnh báo lừa đảo đặt phòng khách sạn, homestay qua fanpage giả",
        "l": "Các đối tượng sao chép hình ảnh, thông tin của khách sạn, homestay nổi tiếng để lập fanpage giả, chào giá phòng thấp hơn thị trường và yêu cầu đặt cọc 50%. Khi khách đến nơi, cơ sở lưu trú không có thông tin đặt phòng.",
        "c": "Fanpage homestay, khách sạn giả chào phòng rẻ hơn thị trường bắt cọc 50% 🏨 tới nơi không có đặt phòng nào, kiểm tra kỹ trước khi cọc",
    },
    {
        "family": "shop",
        "t": "Lừa đảo thanh lý hàng hóa giá rẻ, yêu cầu đặt cọc qua mạng",
        "l": "Các tài khoản trên chợ mạng đăng tin thanh lý xe máy, điện thoại, đồ gia dụng với giá rất rẻ, lấy lý do đi nước ngoài cần bán gấp, yêu cầu người mua chuyển tiền cọc để giữ hàng rồi cắt liên lạc.",
        "c": "Đăng thanh lý xe máy, điện thoại giá rẻ bèo vì đi nước ngoài cần bán gấp, bắt cọc giữ hàng rồi mất tích 🛵 rẻ bất thường là có vấn đề",
    },
    # family: việc làm, xuất khẩu lao động
    {
        "family": "job",
        "t": "Cảnh báo lừa đảo tuyển lao động đi làm việc tại Campuchia với mức lương cao",
        "l": "Các đối tượng đăng tin tuyển người đi làm việc nhẹ lương cao tại Campuchia, bao vé xe, ăn ở. Khi sang đến nơi, người lao động bị giữ giấy tờ, ép làm việc cho các đường dây lừa đảo trực tuyến và bị đòi tiền chuộc nếu muốn về nước.",
        "c": "Tuyển đi Campuchia việc nhẹ lương cao, bao vé xe ăn ở 🚩 qua tới nơi bị giữ giấy tờ, ép làm lừa đảo online, muốn về phải nộp tiền chuộc",
    },
    {
        "family": "job",
        "t": "Lừa đảo tuyển lao động xuất khẩu sang Nhật Bản, Hàn Quốc, thu tiền cọc",
        "l": "Một số cá nhân tự xưng là cán bộ công ty xuất khẩu lao động, cam kết đưa người đi làm việc tại Nhật Bản, Hàn Quốc không cần thi tiếng, thu tiền đặt cọc từ 50 đến 200 triệu đồng mỗi người rồi bỏ trốn.",
        "c": "Hứa đưa đi xuất khẩu lao động Nhật, Hàn không cần thi tiếng, thu cọc 50 tới 200 triệu rồi bỏ trốn 🧳 kiểm tra giấy phép công ty trước khi nộp tiền",
    },
    {
        "family": "job",
        "t": "Tin tuyển dụng giả yêu cầu ứng viên nộp phí đồng phục, phí đào tạo",
        "l": "Trên các hội nhóm việc làm xuất hiện nhiều tin tuyển nhân viên kho, bảo vệ, tạp vụ với lương hấp dẫn, nhưng yêu cầu ứng viên nộp trước phí đồng phục, phí đào tạo và phí hồ sơ. Sau khi nộp tiền, ứng viên không được nhận việc.",
        "c": "Tin tuyển nhân viên kho, bảo vệ lương cao mà bắt nộp phí đồng phục, phí đào tạo, phí hồ sơ trước 👕 nộp xong là không ai gọi đi làm",
    },
    # family: thuế, hành chính
    {
        "family": "admin",
        "t": "Giả danh cán bộ thuế gọi điện yêu cầu cài ứng dụng quyết toán thuế",
        "l": "Đối tượng gọi điện xưng cán bộ chi cục thuế, thông báo người dân có khoản hoàn thuế thu nhập cá nhân hoặc đang nợ thuế, yêu cầu cài ứng dụng thuế điện tử giả mạo qua đường link. Cơ quan thuế không yêu cầu người nộp thuế cài ứng dụng qua tin nhắn.",
        "c": "Có người xưng cán bộ chi cục thuế gọi báo được hoàn thuế thu nhập cá nhân, bắt cài app thuế điện tử qua link 🧾 app giả đó, cơ quan thuế không gửi link",
    },
    {
        "family": "admin",
        "t": "Mạo danh cơ quan đăng kiểm nhắn tin thông báo phạt nguội",
        "l": "Chủ phương tiện nhận tin nhắn thông báo xe vi phạm giao thông bị phạt nguội, yêu cầu truy cập đường link để tra cứu và nộp phạt trực tuyến. Trang web giả mạo đánh cắp thông tin thẻ ngân hàng của người dùng.",
        "c": "Nhận tin nhắn báo xe bị phạt nguội kèm link tra cứu nộp phạt 🚗 link giả để lấy thông tin thẻ ngân hàng, tra phạt nguội trên trang chính thức thôi",
    },
    {
        "family": "admin",
        "t": "Cảnh báo giả mạo cổng dịch vụ công quốc gia để đánh cắp thông tin",
        "l": "Nhiều website có giao diện giống hệt Cổng dịch vụ công quốc gia nhưng tên miền khác, được quảng cáo trên mạng xã hội với nội dung làm hộ chiếu, giấy phép lái xe nhanh. Người dùng khai báo thông tin cá nhân và nộp phí trên các trang này sẽ bị mất tiền.",
        "c": "Web giống y Cổng dịch vụ công quốc gia nhưng tên miền khác, quảng cáo làm hộ chiếu, bằng lái nhanh 🪪 khai thông tin nộp phí ở đó là mất tiền",
    },
    {
        "family": "admin",
        "t": "Lừa đảo làm giấy phép lái xe không cần thi qua mạng",
        "l": "Các tài khoản mạng xã hội quảng cáo dịch vụ làm giấy phép lái xe không cần học, không cần thi, giao tận nhà sau một tuần. Người đặt làm phải chuyển khoản trước, sau đó hoặc bị chặn liên lạc hoặc nhận giấy phép giả.",
        "c": "Quảng cáo làm bằng lái xe không cần học không cần thi, giao tận nhà sau 1 tuần 🪪 chuyển khoản xong bị chặn hoặc nhận bằng giả, còn bị xử lý nữa",
    },
    # family: nông thôn, người cao tuổi
    {
        "family": "elder",
        "t": "Lừa đảo người cao tuổi nhận tiền hỗ trợ lương hưu qua điện thoại",
        "l": "Kẻ gian gọi điện cho người cao tuổi, thông báo được nhận thêm tiền hỗ trợ lương hưu, trợ cấp và hướng dẫn đọc số tài khoản, mã OTP để nhận tiền. Người cao tuổi ít sử dụng công nghệ nên dễ bị mất tiền.",
        "c": "Ông bà, cha mẹ mình dễ bị gọi báo nhận thêm tiền hỗ trợ lương hưu rồi bị hỏi số tài khoản với mã OTP 👴 dặn người nhà đừng đọc OTP cho ai hết",
    },
    {
        "family": "elder",
        "t": "Giả danh nhân viên y tế bán thiết bị chăm sóc sức khỏe cho người già",
        "l": "Các nhóm đối tượng đến từng nhà, giả làm nhân viên trạm y tế đo huyết áp miễn phí cho người cao tuổi, sau đó phóng đại bệnh tình để bán máy đo, thực phẩm chức năng với giá gấp nhiều lần.",
        "c": "Có nhóm người tới nhà xưng nhân viên trạm y tế đo huyết áp miễn phí cho ông bà rồi dọa bệnh nặng để bán máy, thực phẩm chức năng giá cắt cổ 🩺",
    },
    {
        "family": "elder",
        "t": "Lừa đảo bán đất nền dự án ma ở vùng ven",
        "l": "Một số công ty bất động sản quảng cáo bán đất nền dự án ở vùng ven với giá rẻ, cam kết có sổ đỏ trong sáu tháng, thu tiền đặt cọc của nhiều người. Thực tế dự án không được cấp phép, đất là đất nông nghiệp.",
        "c": "Quảng cáo đất nền dự án vùng ven giá rẻ, hứa có sổ đỏ 6 tháng, thu cọc rồi mới biết dự án ma, đất nông nghiệp 🏚️ kiểm tra pháp lý trước khi cọc",
    },
    # family: công nghệ
    {
        "family": "tech",
        "t": "Cảnh báo mã độc ẩn trong tệp tin gửi qua Telegram, Zalo",
        "l": "Các đối tượng gửi tệp tin có đuôi .apk hoặc tệp nén đặt tên như danh sách khen thưởng, bảng lương, hóa đơn điện tử qua Telegram, Zalo. Khi mở tệp, mã độc được cài vào máy, đánh cắp mật khẩu và dữ liệu.",
        "c": "Ai gửi file .apk, file nén tên danh sách khen thưởng, bảng lương, hóa đơn qua Zalo, Telegram thì đừng mở 🦠 mở ra là dính mã độc lấy mật khẩu",
    },
    {
        "family": "tech",
        "t": "Giả mạo ứng dụng ví điện tử trên kho ứng dụng không chính thức",
        "l": "Nhiều ứng dụng giả mạo ví điện tử phổ biến được phát tán trên các trang tải ứng dụng không chính thức, có giao diện giống hệt bản gốc. Khi đăng nhập, thông tin tài khoản và mã PIN bị gửi về máy chủ của kẻ gian.",
        "c": "App ví điện tử giả giống y bản gốc trên mấy trang tải app không chính thức 👛 đăng nhập là lộ tài khoản với mã PIN, chỉ tải ở kho ứng dụng chính thức",
    },
    {
        "family": "tech",
        "t": "Sử dụng công nghệ deepfake giả giọng nói người thân để lừa chuyển tiền",
        "l": "Kẻ gian thu thập đoạn ghi âm, video của người dùng trên mạng xã hội để tạo giọng nói giả bằng trí tuệ nhân tạo, sau đó gọi điện cho cha mẹ, người thân với giọng y hệt để báo tin gặp nạn và xin tiền.",
        "c": "Giờ AI giả được giọng nói y chang con cái gọi về báo gặp nạn xin tiền 🤖 gia đình nên đặt một câu hỏi bí mật để kiểm tra khi có cuộc gọi lạ",
    },
    {
        "family": "tech",
        "t": "Cảnh báo wifi công cộng giả mạo tại sân bay, nhà ga đánh cắp dữ liệu",
        "l": "Tại các sân bay, nhà ga, quán cà phê xuất hiện mạng wifi miễn phí có tên giống mạng chính thức. Khi kết nối, người dùng bị chuyển đến trang đăng nhập giả để lấy thông tin tài khoản mạng xã hội, ngân hàng.",
        "c": "Wifi miễn phí ở sân bay, nhà ga có tên giống mạng chính thức ✈️ kết nối vào bị đưa tới trang đăng nhập giả lấy tài khoản, hỏi nhân viên tên wifi đúng nha",
    },
    # family: từ thiện, tôn giáo
    {
        "family": "charity",
        "t": "Lợi dụng bão lũ kêu gọi từ thiện để chiếm đoạt tiền ủng hộ",
        "l": "Sau các đợt bão lũ, nhiều tài khoản mạng xã hội đăng hình ảnh người dân vùng lũ, kêu gọi quyên góp vào tài khoản cá nhân. Số tiền ủng hộ không đến được với người dân mà bị chiếm đoạt.",
        "c": "Bão lũ là mấy trang kêu gọi quyên góp vào tài khoản cá nhân lại mọc lên 🌧️ ủng hộ qua Mặt trận Tổ quốc, Hội Chữ thập đỏ cho chắc",
    },
    {
        "family": "charity",
        "t": "Giả danh nhà sư, người khuyết tật xin tiền từ thiện qua mạng",
        "l": "Đối tượng đăng ảnh giả làm nhà sư, người khuyết tật, trẻ em mắc bệnh hiểm nghèo kèm câu chuyện cảm động để xin tiền từ thiện qua số tài khoản cá nhân. Nhiều trường hợp sử dụng ảnh của người khác lấy từ báo chí.",
        "c": "Ảnh nhà sư, người khuyết tật, em bé bệnh nặng kèm câu chuyện cảm động xin tiền vào tài khoản cá nhân 🙏 nhiều ảnh lấy từ báo chí, xác minh trước khi giúp",
    },
    # family: game, trẻ em
    {
        "family": "kids",
        "t": "Lừa đảo bán vật phẩm game, nạp thẻ giá rẻ nhắm vào học sinh",
        "l": "Các đối tượng lập trang quảng cáo bán vật phẩm game, tài khoản game, thẻ nạp giá rẻ hơn thị trường, nhắm vào học sinh. Sau khi các em chuyển tiền hoặc gửi mã thẻ cào của cha mẹ, đối tượng chặn liên lạc.",
        "c": "Trang bán đồ game, nick game, thẻ nạp rẻ hơn thị trường nhắm vô học sinh 🎮 các em chuyển tiền, gửi mã thẻ cào của ba mẹ xong là bị chặn",
    },
    {
        "family": "kids",
        "t": "Cảnh báo đối tượng làm quen trẻ em qua mạng để tống tiền bằng ảnh nhạy cảm",
        "l": "Kẻ xấu làm quen với trẻ em, học sinh qua mạng xã hội, trò chơi trực tuyến, dụ dỗ các em gửi ảnh, video nhạy cảm rồi đe dọa phát tán để tống tiền. Phụ huynh cần quan tâm, theo dõi việc sử dụng mạng của con.",
        "c": "Có kẻ làm quen học sinh qua mạng, game online rồi dụ gửi ảnh nhạy cảm để tống tiền 😰 phụ huynh để ý con dùng mạng nha",
    },
    # family: du lịch, sự kiện
    {
        "family": "event",
        "t": "Lừa đảo bán vé concert, sự kiện âm nhạc qua mạng xã hội",
        "l": "Trước các đêm nhạc lớn, nhiều tài khoản rao bán lại vé concert với lý do bận việc không đi được, yêu cầu chuyển khoản trước rồi gửi ảnh vé giả hoặc chặn liên lạc. Khán giả chỉ nên mua vé qua kênh chính thức của ban tổ chức.",
        "c": "Gần concert là đầy người pass vé vì bận không đi được, chuyển khoản xong nhận ảnh vé giả 🎫 mua ở kênh chính thức của ban tổ chức thôi",
    },
    {
        "family": "event",
        "t": "Giả mạo chương trình khuyến mãi của siêu thị nhân dịp lễ",
        "l": "Các đường link được chia sẻ trên mạng xã hội quảng cáo siêu thị tặng phiếu mua hàng trị giá 500 nghìn đồng nhân dịp lễ, yêu cầu người dùng điền thông tin cá nhân và chia sẻ cho 20 người bạn. Đây là trang giả mạo thu thập dữ liệu.",
        "c": "Link siêu thị tặng phiếu mua hàng 500 nghìn dịp lễ, bắt điền thông tin rồi chia sẻ cho 20 người 🛒 trang giả thu thập dữ liệu đó, đừng bấm",
    },
    # family: tình cảm
    {
        "family": "love",
        "t": "Lừa đảo tình cảm qua mạng: làm quen, hứa gửi quà từ nước ngoài rồi đòi phí",
        "l": "Đối tượng xưng là quân nhân, kỹ sư người nước ngoài làm quen qua mạng, hứa hẹn kết hôn và gửi quà giá trị lớn về Việt Nam. Sau đó một người giả làm nhân viên hải quan gọi điện yêu cầu nộp phí để nhận kiện hàng.",
        "c": "Quen bạn trai nước ngoài qua mạng, hứa cưới, gửi quà to về rồi có người xưng hải quan gọi bắt nộp phí nhận hàng 💔 kịch bản quen thuộc lắm rồi",
    },
    {
        "family": "love",
        "t": "Làm quen qua ứng dụng hẹn hò rồi dụ đầu tư vào sàn thương mại điện tử",
        "l": "Sau thời gian trò chuyện thân mật trên ứng dụng hẹn hò, đối tượng rủ nạn nhân cùng mở gian hàng trên một sàn thương mại điện tử quốc tế giả mạo, hứa lợi nhuận cao. Nạn nhân nạp tiền nhập hàng nhưng không thể rút.",
        "c": "Quen trên app hẹn hò, nói chuyện ngọt ngào rồi rủ mở gian hàng trên sàn thương mại điện tử quốc tế lãi cao 🛍️ nạp tiền nhập hàng xong không rút được",
    },
    # family: điện thoại, sim
    {
        "family": "phone",
        "t": "Cảnh báo cuộc gọi mạo danh tổng đài, bấm phím 9 để nghe thông báo",
        "l": "Người dùng nhận cuộc gọi tự động thông báo có bưu phẩm chưa nhận hoặc cước phí chưa thanh toán, yêu cầu bấm phím 9 để gặp tổng đài viên. Sau đó đối tượng dẫn dụ cung cấp thông tin cá nhân và chuyển tiền.",
        "c": "Cuộc gọi tự động báo có bưu phẩm chưa nhận, cước chưa đóng, bấm phím 9 gặp tổng đài viên ☎️ bấm là gặp tụi lừa đảo, cúp máy luôn",
    },
    {
        "family": "phone",
        "t": "Thủ đoạn gửi tin nhắn qua trạm phát sóng giả mạo tên thương hiệu",
        "l": "Các đối tượng dùng thiết bị phát sóng giả đặt trên ô tô, phát tán hàng loạt tin nhắn hiển thị tên thương hiệu của ngân hàng, ví điện tử tới điện thoại xung quanh, chứa đường link lừa đảo. Cơ quan chức năng đã bắt giữ nhiều nhóm sử dụng thiết bị này.",
        "c": "Tụi lừa đảo chở trạm phát sóng giả trên ô tô, bắn tin nhắn mang tên ngân hàng, ví điện tử kèm link tới điện thoại xung quanh 📡 thấy link trong tin nhắn là cảnh giác",
    },
    # family: round-ups (each its own story, mention many scams)
    {
        "family": "roundup",
        "t": "Điểm tin tuần: giả danh công an, tuyển cộng tác viên online và tin nhắn giả mạo ngân hàng",
        "l": "Trong tuần qua, Cổng Không gian mạng quốc gia ghi nhận nhiều phản ánh về các thủ đoạn lừa đảo: giả danh công an gọi điện yêu cầu cài ứng dụng, tuyển cộng tác viên làm nhiệm vụ online, tin nhắn giả mạo ngân hàng thông báo khóa tài khoản. Người dân cần cảnh giác, không bấm vào đường link lạ.",
        "c": "Tổng hợp tuần này: giả công an bắt cài app, tuyển cộng tác viên làm nhiệm vụ, tin nhắn giả ngân hàng báo khóa tài khoản 📰 nhớ không bấm link lạ",
    },
    {
        "family": "roundup",
        "t": "Tổng hợp các hình thức lừa đảo trực tuyến phổ biến trong tháng",
        "l": "Tháng qua, các hình thức lừa đảo phổ biến gồm: giả mạo nhân viên điện lực thông báo cắt điện, lừa đảo đầu tư tiền ảo, chiếm quyền tài khoản Facebook để vay tiền, tuyển lao động đi Campuchia. Mỗi người dân cần trang bị kỹ năng nhận diện để tự bảo vệ mình.",
        "c": "Tháng này nổi lên: giả điện lực báo cắt điện, đầu tư tiền ảo, hack Facebook vay tiền, tuyển người đi Campuchia 📋 lưu lại để nhận diện nha",
    },
    {
        "family": "roundup",
        "t": "Năm dấu hiệu nhận biết cuộc gọi lừa đảo ai cũng cần biết",
        "l": "Cuộc gọi lừa đảo thường có các dấu hiệu: xưng là cơ quan nhà nước, tạo cảm giác khẩn cấp, yêu cầu giữ bí mật, đề nghị chuyển tiền hoặc cung cấp mã OTP, gửi đường link hay ứng dụng lạ. Khi gặp một trong các dấu hiệu này, hãy dừng cuộc gọi và báo cho công an nơi gần nhất.",
        "c": "5 dấu hiệu cuộc gọi lừa đảo: xưng cơ quan nhà nước, hối thúc khẩn cấp, bắt giữ bí mật, đòi chuyển tiền hay OTP, gửi link hoặc app lạ 📌 gặp là cúp máy",
    },
    # family: địa phương khác
    {
        "family": "local",
        "t": "Hà Tĩnh: Cụ ông bị lừa 2 tỷ đồng vì tin lời kẻ giả danh viện kiểm sát",
        "l": "Ông N.V.K., 72 tuổi, trú tại thành phố Hà Tĩnh, nhận cuộc gọi của người xưng là cán bộ viện kiểm sát, thông báo ông liên quan vụ án buôn lậu và yêu cầu bán sổ tiết kiệm, chuyển 2 tỷ đồng để xác minh nguồn tiền. Công an tỉnh đang điều tra vụ việc.",
        "c": "Cụ ông 72 tuổi ở Hà Tĩnh bán sổ tiết kiệm chuyển 2 tỷ cho kẻ xưng viện kiểm sát để xác minh nguồn tiền 😢 nhắc ông bà cha mẹ mình nha",
    },
    {
        "family": "local",
        "t": "Bình Dương: Triệt phá đường dây lừa đảo làm hồ sơ vay vốn ngân hàng chính sách",
        "l": "Công an tỉnh Bình Dương vừa triệt phá đường dây mạo danh nhân viên Ngân hàng Chính sách xã hội, hứa làm hồ sơ vay vốn ưu đãi cho hộ nghèo, thu phí làm hồ sơ của hàng trăm người dân ở các huyện Bàu Bàng, Phú Giáo.",
        "c": "Bình Dương bắt đường dây giả nhân viên Ngân hàng Chính sách hứa làm hồ sơ vay ưu đãi cho hộ nghèo, thu phí hàng trăm người ở Bàu Bàng, Phú Giáo 🚔",
    },
    {
        "family": "local",
        "t": "Đắk Lắk: Cảnh báo lừa đảo mua bán sầu riêng qua mạng mùa thu hoạch",
        "l": "Vào mùa thu hoạch sầu riêng, nhiều nhà vườn ở Krông Pắc, Cư M'gar bị đối tượng giả làm thương lái đặt mua số lượng lớn, gửi ảnh chuyển khoản giả rồi cho xe đến chở hàng đi. Công an khuyến cáo chỉ giao hàng khi tiền đã vào tài khoản.",
        "c": "Nhà vườn sầu riêng Krông Pắc, Cư M'gar bị thương lái giả gửi ảnh chuyển khoản giả rồi cho xe chở hàng đi 🍈 tiền chưa vào tài khoản thì chưa giao",
    },
    {
        "family": "local",
        "t": "Cần Thơ: Nhiều tiểu thương bị lừa bởi mã QR thanh toán bị dán đè",
        "l": "Tại chợ Tân An, quận Ninh Kiều, nhiều tiểu thương phát hiện mã QR thanh toán của mình bị dán đè bằng mã QR khác dẫn đến tài khoản của kẻ gian. Khách chuyển tiền nhưng người bán không nhận được.",
        "c": "Chợ Tân An, Ninh Kiều: mã QR thanh toán của tiểu thương bị dán đè mã khác, khách chuyển tiền mà người bán không nhận được 😮 kiểm tra tên tài khoản trước khi chuyển",
    },
    # same scams as above, in other provinces, with their own facts: must stay separate stories
    {
        "family": "local",
        "t": "Hà Nội: Tiểu thương chợ Long Biên phát hiện mã QR thanh toán bị thay bằng mã lạ",
        "l": "Sáng 12/7, ba hộ kinh doanh tại chợ Long Biên, quận Ba Đình, trình báo công an việc tấm mã QR nhận tiền treo ở sạp hàng bị thay bằng mã QR của một tài khoản lạ mang tên khác. Trong hai ngày, các hộ này mất khoảng 40 triệu đồng tiền hàng.",
        "c": "Chợ Long Biên: 3 sạp hàng bị thay tấm mã QR nhận tiền bằng mã của tài khoản lạ, mất khoảng 40 triệu tiền hàng trong 2 ngày 😮 bà con bán hàng nhớ kiểm tra mã QR mỗi sáng",
    },
    {
        "family": "local",
        "t": "Tiền Giang: Nhà vườn Cái Bè mất hơn 600 triệu đồng vì thương lái sầu riêng giả",
        "l": "Một nhà vườn ở huyện Cái Bè, tỉnh Tiền Giang, bán 8 tấn sầu riêng cho người tự xưng là thương lái từ Campuchia, nhận ảnh chụp màn hình chuyển khoản và cho xe chở hàng đi trong đêm. Hôm sau, chủ vườn kiểm tra thì không có tiền vào tài khoản, thiệt hại hơn 600 triệu đồng.",
        "c": "Nhà vườn Cái Bè bán 8 tấn sầu riêng cho thương lái xưng từ Campuchia, nhận ảnh chuyển khoản rồi cho xe chở đi trong đêm 🍈 sáng ra không có đồng nào, mất hơn 600 triệu",
    },
    {
        "family": "ctv",
        "t": "Công an Hà Tĩnh cảnh báo lừa đảo tuyển cộng tác viên làm nhiệm vụ online sau khi một sinh viên mất 90 triệu đồng",
        "l": "Em T.Q.A., sinh viên năm hai trú tại huyện Can Lộc, tỉnh Hà Tĩnh, tham gia làm cộng tác viên online với nhiệm vụ mua hộ sản phẩm trên một trang thương mại điện tử để nhận hoa hồng 15%. Sau sáu nhiệm vụ, em được yêu cầu nạp thêm tiền để hoàn thành chuỗi nhiệm vụ và đã mất 90 triệu đồng vay của người thân.",
        "c": "Sinh viên ở Can Lộc, Hà Tĩnh mất 90 triệu vay của người thân vì làm cộng tác viên mua hộ sản phẩm nhận hoa hồng 15% 😭 bị bắt nạp thêm để hoàn thành chuỗi nhiệm vụ",
    },
]
